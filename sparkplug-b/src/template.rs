//! Templates: user-defined types made of member metrics and parameters (SPARKPLUG.md 3.5).

use crate::{DataType, Metric, Value};

/// A template definition (in NBIRTH only) or instance.
///
/// `is_definition` stays an `Option` because the spec requires the field on the wire for both
/// kinds (`tck-id-payloads-template-is-definition`); the constructors set it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    /// Optional version of the definition, UTF-8.
    pub version: Option<String>,
    /// Member metrics: all of them in definitions and births, any subset in data messages.
    pub metrics: Vec<Metric>,
    /// Parameters, with default values in definitions and overrides in instances.
    pub parameters: Vec<Parameter>,
    /// On an instance, the name of the definition metric; absent on definitions.
    pub template_ref: Option<String>,
    /// True for a definition, false for an instance.
    pub is_definition: Option<bool>,
}

impl Template {
    /// A template definition with these member metrics.
    pub fn definition(metrics: Vec<Metric>) -> Self {
        Template {
            metrics,
            is_definition: Some(true),
            ..Template::default()
        }
    }

    /// An instance of the definition named `template_ref`.
    pub fn instance(template_ref: impl Into<String>, metrics: Vec<Metric>) -> Self {
        Template {
            metrics,
            template_ref: Some(template_ref.into()),
            is_definition: Some(false),
            ..Template::default()
        }
    }

    /// Adds a parameter (builder style).
    pub fn with_parameter(mut self, parameter: Parameter) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// Sets the version (builder style).
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }
}

/// A template parameter: a name, a basic type and a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameter {
    /// The parameter's name (`tck-id-payloads-template-parameter-name-required`).
    pub name: Option<String>,
    /// The parameter's basic type (`tck-id-payloads-template-parameter-type-req`).
    pub datatype: Option<DataType>,
    /// The value: a default in a definition, an override in an instance.
    pub value: Option<Value>,
}

impl Parameter {
    /// A parameter of `value`'s data type.
    pub fn new(name: impl Into<String>, value: impl Into<Value>) -> Self {
        let value = value.into();
        Parameter {
            name: Some(name.into()),
            datatype: Some(value.data_type()),
            value: Some(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-payloads-template-is-definition-definition, -is-definition-instance,
    /// -definition-ref, -instance-ref
    #[test]
    fn constructors_set_is_definition_and_template_ref() {
        let def = Template::definition(vec![]).with_version("2");
        assert_eq!(
            (
                def.is_definition,
                def.template_ref.as_deref(),
                def.version.as_deref()
            ),
            (Some(true), None, Some("2"))
        );
        let inst =
            Template::instance("Motor", vec![]).with_parameter(Parameter::new("rpm", 1500u32));
        assert_eq!(
            (inst.is_definition, inst.template_ref.as_deref()),
            (Some(false), Some("Motor"))
        );
        assert_eq!(inst.parameters[0].datatype, Some(DataType::UInt32));
    }
}
