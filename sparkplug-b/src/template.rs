//! Templates: user-defined types made of member metrics and parameters (SPARKPLUG.md 3.5).

use std::collections::{HashMap, HashSet};

use crate::{DataType, Metric, Payload, Value};

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

/// Why a template definition cannot join a [`TemplateCatalog`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateDefinitionError {
    /// The definition has no name (its metric name is the template's name).
    #[error("a template definition needs a name")]
    EmptyName,
    /// A template of this name is already defined.
    #[error("template {0:?} is already defined")]
    Duplicate(String),
    /// `is_definition` is not true (`tck-id-payloads-template-definition-is-definition`).
    #[error(
        "template {0:?}: a definition must have is_definition = true (tck-id-payloads-template-definition-is-definition)"
    )]
    NotADefinition(String),
    /// The definition has a `template_ref` (`tck-id-payloads-template-definition-ref`).
    #[error(
        "template {0:?}: a definition must not have a template_ref (tck-id-payloads-template-definition-ref)"
    )]
    HasTemplateRef(String),
    /// A member has no name.
    #[error("template {template:?}: member {index} has no name")]
    UnnamedMember {
        /// The template.
        template: String,
        /// The member's position.
        index: usize,
    },
    /// Two members share a name.
    #[error("template {template:?}: member {member:?} is listed twice")]
    DuplicateMember {
        /// The template.
        template: String,
        /// The member.
        member: String,
    },
    /// A member has no datatype, or one that is not a metric type
    /// (`tck-id-payloads-template-definition-members`).
    #[error(
        "template {template:?}: member {member:?} needs a metric datatype (tck-id-payloads-template-definition-members)"
    )]
    MemberDatatype {
        /// The template.
        template: String,
        /// The member.
        member: String,
    },
    /// A member's default value is not of the member's datatype.
    #[error("template {template:?}: member {member:?} is {expected} but its default is {found}")]
    MemberDefault {
        /// The template.
        template: String,
        /// The member.
        member: String,
        /// The member's datatype.
        expected: DataType,
        /// The default's datatype.
        found: DataType,
    },
    /// A member that is a template is not a valid instance of a template defined before
    /// (nested templates refer to their definition).
    #[error("template {template:?}: member {member:?}: {source}")]
    NestedMember {
        /// The template.
        template: String,
        /// The member.
        member: String,
        /// What is wrong with the nested instance.
        #[source]
        source: Box<TemplateInstanceError>,
    },
    /// A parameter has no name (`tck-id-payloads-template-parameter-name-required`).
    #[error(
        "template {template:?}: parameter {index} has no name (tck-id-payloads-template-parameter-name-required)"
    )]
    UnnamedParameter {
        /// The template.
        template: String,
        /// The parameter's position.
        index: usize,
    },
    /// Two parameters share a name.
    #[error("template {template:?}: parameter {parameter:?} is listed twice")]
    DuplicateParameter {
        /// The template.
        template: String,
        /// The parameter.
        parameter: String,
    },
    /// A parameter has no type or one that is not a basic type
    /// (`tck-id-payloads-template-parameter-type-req`,
    /// `tck-id-payloads-template-parameter-type-value`).
    #[error(
        "template {template:?}: parameter {parameter:?} needs a basic type (tck-id-payloads-template-parameter-type-value)"
    )]
    ParameterType {
        /// The template.
        template: String,
        /// The parameter.
        parameter: String,
    },
    /// A parameter has no value, or a value not of its type
    /// (`tck-id-payloads-template-parameter-value`).
    #[error(
        "template {template:?}: parameter {parameter:?} needs a value of its type (tck-id-payloads-template-parameter-value)"
    )]
    ParameterValue {
        /// The template.
        template: String,
        /// The parameter.
        parameter: String,
    },
}

/// Why a template instance does not match its definition in a [`TemplateCatalog`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateInstanceError {
    /// `is_definition` is not false (`tck-id-payloads-template-instance-is-definition`); a
    /// definition where an instance belongs (a device metric, a data message) is this too
    /// (`tck-id-payloads-template-definition-nbirth-only`).
    #[error(
        "not a template instance: is_definition must be false (tck-id-payloads-template-definition-nbirth-only, tck-id-payloads-template-instance-is-definition)"
    )]
    NotAnInstance,
    /// The instance has no `template_ref` (`tck-id-payloads-template-instance-ref`).
    #[error("a template instance needs a template_ref (tck-id-payloads-template-instance-ref)")]
    NoTemplateRef,
    /// The instance refers to a template the NBIRTH does not define
    /// (`tck-id-payloads-template-definition-nbirth`, `tck-id-topics-nbirth-templates`).
    #[error(
        "template {0:?} is not defined in the NBIRTH (tck-id-payloads-template-definition-nbirth)"
    )]
    Undefined(String),
    /// A member has no name (and no alias to find it by).
    #[error("template {template:?}: member {index} has no name")]
    UnnamedMember {
        /// The template.
        template: String,
        /// The member's position.
        index: usize,
    },
    /// A member the definition does not list (`tck-id-payloads-template-instance-members`).
    #[error(
        "template {template:?} has no member {member:?} (tck-id-payloads-template-instance-members)"
    )]
    UnknownMember {
        /// The template.
        template: String,
        /// The member.
        member: String,
    },
    /// A member of the definition missing from an instance in a birth
    /// (`tck-id-payloads-template-instance-members-birth`).
    #[error(
        "template {template:?}: member {member:?} is missing (tck-id-payloads-template-instance-members-birth)"
    )]
    MissingMember {
        /// The template.
        template: String,
        /// The member.
        member: String,
    },
    /// A member's datatype or value is not the definition's datatype.
    #[error("template {template:?}: member {member:?} is {expected}, not {found}")]
    MemberType {
        /// The template.
        template: String,
        /// The member.
        member: String,
        /// The definition's datatype.
        expected: DataType,
        /// The member's.
        found: DataType,
    },
    /// A nested template member does not match its own definition.
    #[error("template {template:?}: member {member:?}: {source}")]
    NestedMember {
        /// The template.
        template: String,
        /// The member.
        member: String,
        /// What is wrong with it.
        #[source]
        source: Box<TemplateInstanceError>,
    },
    /// A parameter the definition does not list, or one without a name
    /// (`tck-id-payloads-template-definition-parameters`).
    #[error(
        "template {template:?} has no parameter {parameter:?} (tck-id-payloads-template-definition-parameters)"
    )]
    UnknownParameter {
        /// The template.
        template: String,
        /// The parameter (empty when it has no name).
        parameter: String,
    },
    /// A parameter's type or value is not the definition's type.
    #[error("template {template:?}: parameter {parameter:?} is {expected}, not {found}")]
    ParameterType {
        /// The template.
        template: String,
        /// The parameter.
        parameter: String,
        /// The definition's type.
        expected: DataType,
        /// The instance's.
        found: DataType,
    },
}

/// The template definitions of one edge node, by name: what its NBIRTH declares
/// (`tck-id-payloads-template-definition-nbirth-only`), against which every instance of the
/// node and its devices is checked and resolved.
///
/// ```
/// use sparkplug_b::{Metric, Parameter, Template, TemplateCatalog};
///
/// let mut catalog = TemplateCatalog::new();
/// let motor = Template::definition(vec![Metric::new("Speed", 0.0), Metric::new("Running", false)])
///     .with_parameter(Parameter::new("Rated", 1500u32))
///     .with_version("2");
/// catalog.define("Motor", motor)?;
///
/// let m1 = Template::instance("Motor", vec![Metric::new("Speed", 812.5), Metric::new("Running", true)]);
/// catalog.check_instance(&m1, true)?;
/// // The parameter the instance does not override keeps the definition's default.
/// assert_eq!(catalog.parameters(&m1)[0].value, Some(1500u32.into()));
///
/// let wrong = Template::instance("Motor", vec![Metric::new("Speed", 1i32)]);
/// assert!(catalog.check_instance(&wrong, false).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateCatalog {
    /// Name and definition, in the order defined (the order an NBIRTH lists them).
    definitions: Vec<(String, Template)>,
    by_name: HashMap<String, usize>,
}

impl TemplateCatalog {
    /// An empty catalogue.
    pub fn new() -> Self {
        TemplateCatalog::default()
    }

    /// The definitions of an NBIRTH: its top-level metrics whose value is a template with
    /// `is_definition = true`, in birth order. A definition that breaks the rules (reported by
    /// [`validate`](crate::validate())) still joins, so that its instances resolve; a repeated
    /// name keeps the first.
    pub fn from_birth(nbirth: &Payload) -> Self {
        let mut catalog = TemplateCatalog::new();
        for metric in &nbirth.metrics {
            if let (Some(name), Some(Value::Template(t))) = (&metric.name, &metric.value) {
                if t.is_definition == Some(true) && !catalog.by_name.contains_key(name) {
                    catalog.push(name.clone(), (**t).clone());
                }
            }
        }
        catalog
    }

    /// Adds a definition named `name` after checking it: `is_definition = true`, no
    /// `template_ref`, named members with metric datatypes and defaults of those types,
    /// nested template members that are instances of templates defined before, named
    /// parameters of basic types with values of those types (the 3.0.0 TCK fails a parameter
    /// without a value: `tck-id-payloads-template-parameter-value`).
    pub fn define(
        &mut self,
        name: impl Into<String>,
        definition: Template,
    ) -> Result<(), TemplateDefinitionError> {
        let name = name.into();
        self.check_definition(&name, &definition)?;
        self.push(name, definition);
        Ok(())
    }

    /// [`TemplateCatalog::define`]'s checks, without adding the definition.
    pub fn check_definition(
        &self,
        name: &str,
        t: &Template,
    ) -> Result<(), TemplateDefinitionError> {
        use TemplateDefinitionError as E;
        let template = || name.to_owned();
        if name.is_empty() {
            return Err(E::EmptyName);
        }
        if self.by_name.contains_key(name) {
            return Err(E::Duplicate(template()));
        }
        if t.is_definition != Some(true) {
            return Err(E::NotADefinition(template()));
        }
        if t.template_ref.is_some() {
            return Err(E::HasTemplateRef(template()));
        }
        let mut members = HashSet::new();
        for (index, m) in t.metrics.iter().enumerate() {
            let member = m.name.clone().ok_or_else(|| E::UnnamedMember {
                template: template(),
                index,
            })?;
            if !members.insert(member.clone()) {
                return Err(E::DuplicateMember {
                    template: template(),
                    member,
                });
            }
            let Some(datatype) = m.datatype.filter(|d| d.is_metric_type()) else {
                return Err(E::MemberDatatype {
                    template: template(),
                    member,
                });
            };
            match &m.value {
                Some(Value::Template(nested)) if datatype == DataType::Template => {
                    self.check_instance(nested, false)
                        .map_err(|source| E::NestedMember {
                            template: template(),
                            member: member.clone(),
                            source: Box::new(source),
                        })?;
                }
                Some(v) if v.data_type() != datatype => {
                    return Err(E::MemberDefault {
                        template: template(),
                        member,
                        expected: datatype,
                        found: v.data_type(),
                    });
                }
                _ => {}
            }
        }
        let mut parameters = HashSet::new();
        for (index, p) in t.parameters.iter().enumerate() {
            let parameter = p.name.clone().ok_or_else(|| E::UnnamedParameter {
                template: template(),
                index,
            })?;
            if !parameters.insert(parameter.clone()) {
                return Err(E::DuplicateParameter {
                    template: template(),
                    parameter,
                });
            }
            let Some(datatype) = p.datatype.filter(|d| d.is_basic()) else {
                return Err(E::ParameterType {
                    template: template(),
                    parameter,
                });
            };
            if p.value.as_ref().map(Value::data_type) != Some(datatype) {
                return Err(E::ParameterValue {
                    template: template(),
                    parameter,
                });
            }
        }
        Ok(())
    }

    /// Checks an instance against its definition: `is_definition = false`, a `template_ref`
    /// this catalogue defines, only the definition's members with its datatypes (nested
    /// templates checked against theirs), and parameters the definition lists with its types.
    /// `complete` (births: `tck-id-payloads-template-instance-members-birth`) also requires
    /// every member; data messages may carry a subset
    /// (`tck-id-payloads-template-instance-members-data`). A member addressed by alias alone
    /// (data, before resolution) is not checked by name.
    pub fn check_instance(
        &self,
        instance: &Template,
        complete: bool,
    ) -> Result<(), TemplateInstanceError> {
        self.check_instance_at(instance, complete, true)
    }

    /// [`TemplateCatalog::check_instance`] without looking into nested template members: for a
    /// caller that visits those itself.
    pub(crate) fn check_instance_shallow(
        &self,
        instance: &Template,
        complete: bool,
    ) -> Result<(), TemplateInstanceError> {
        self.check_instance_at(instance, complete, false)
    }

    fn check_instance_at(
        &self,
        instance: &Template,
        complete: bool,
        nested: bool,
    ) -> Result<(), TemplateInstanceError> {
        use TemplateInstanceError as E;
        if instance.is_definition != Some(false) {
            return Err(E::NotAnInstance);
        }
        let template_ref = instance.template_ref.as_deref().ok_or(E::NoTemplateRef)?;
        let def = self
            .get(template_ref)
            .ok_or_else(|| E::Undefined(template_ref.to_owned()))?;
        let template = || template_ref.to_owned();
        let mut seen = HashSet::new();
        for (index, m) in instance.metrics.iter().enumerate() {
            let Some(member) = m.name.as_deref() else {
                if m.alias.is_some() && !complete {
                    continue;
                }
                return Err(E::UnnamedMember {
                    template: template(),
                    index,
                });
            };
            let declared = def
                .metrics
                .iter()
                .find(|d| d.name.as_deref() == Some(member))
                .ok_or_else(|| E::UnknownMember {
                    template: template(),
                    member: member.to_owned(),
                })?;
            seen.insert(member);
            let expected = declared.datatype.unwrap_or(DataType::Unknown);
            if m.datatype.is_none() && !complete {
                // Data: an untyped member's value is its wire field's natural value until the
                // birth resolves it (AliasTable::resolve checks it then).
                continue;
            }
            let found = m
                .datatype
                .or_else(|| m.value.as_ref().map(Value::data_type));
            if let Some(found) = found.filter(|f| *f != expected) {
                return Err(E::MemberType {
                    template: template(),
                    member: member.to_owned(),
                    expected,
                    found,
                });
            }
            if let Some(v) = m.value.as_ref().filter(|v| v.data_type() != expected) {
                // Declared right, valued wrong (a value the birth's datatype does not allow).
                return Err(E::MemberType {
                    template: template(),
                    member: member.to_owned(),
                    expected,
                    found: v.data_type(),
                });
            }
            if let (true, Some(Value::Template(inner))) = (nested, &m.value) {
                self.check_instance_at(inner, complete, true)
                    .map_err(|source| E::NestedMember {
                        template: template(),
                        member: member.to_owned(),
                        source: Box::new(source),
                    })?;
            }
        }
        if complete {
            if let Some(missing) = def
                .metrics
                .iter()
                .filter_map(|d| d.name.as_deref())
                .find(|name| !seen.contains(name))
            {
                return Err(E::MissingMember {
                    template: template(),
                    member: missing.to_owned(),
                });
            }
        }
        for p in &instance.parameters {
            let parameter = p.name.as_deref().unwrap_or_default();
            let declared = def
                .parameters
                .iter()
                .find(|d| d.name.as_deref() == Some(parameter))
                .filter(|_| p.name.is_some())
                .ok_or_else(|| E::UnknownParameter {
                    template: template(),
                    parameter: parameter.to_owned(),
                })?;
            let expected = declared.datatype.unwrap_or(DataType::Unknown);
            if p.datatype.is_none() && !complete {
                continue;
            }
            let found = [p.datatype, p.value.as_ref().map(Value::data_type)]
                .into_iter()
                .flatten()
                .find(|f| *f != expected);
            if let Some(found) = found {
                return Err(E::ParameterType {
                    template: template(),
                    parameter: parameter.to_owned(),
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }

    /// The parameters of an instance as they apply: every parameter of its definition, with
    /// the instance's value where it overrides one and the definition's default elsewhere
    /// (`tck-id-payloads-template-instance-parameters`). Empty when the template is not
    /// defined.
    pub fn parameters(&self, instance: &Template) -> Vec<Parameter> {
        let Some(def) = instance.template_ref.as_deref().and_then(|r| self.get(r)) else {
            return Vec::new();
        };
        def.parameters
            .iter()
            .map(|d| {
                instance
                    .parameters
                    .iter()
                    .find(|p| p.name.is_some() && p.name == d.name)
                    .map_or_else(
                        || d.clone(),
                        |p| Parameter {
                            name: d.name.clone(),
                            datatype: d.datatype,
                            value: p.value.clone(),
                        },
                    )
            })
            .collect()
    }

    /// The definition named `name`.
    pub fn get(&self, name: &str) -> Option<&Template> {
        self.by_name.get(name).map(|&i| &self.definitions[i].1)
    }

    /// Whether a template named `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Every definition with its name, in the order defined.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Template)> {
        self.definitions.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// The number of definitions.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// Whether there are no definitions.
    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }

    /// The definitions as NBIRTH metrics: named by the template, datatype Template, no alias
    /// (a definition carries no live value to address), stamped `timestamp`.
    pub fn birth_metrics(&self, timestamp: u64) -> impl Iterator<Item = Metric> + '_ {
        self.definitions.iter().map(move |(name, t)| Metric {
            name: Some(name.clone()),
            timestamp: Some(timestamp),
            datatype: Some(DataType::Template),
            value: Some(Value::Template(Box::new(t.clone()))),
            ..Metric::default()
        })
    }

    fn push(&mut self, name: String, definition: Template) {
        self.by_name.insert(name.clone(), self.definitions.len());
        self.definitions.push((name, definition));
    }
}

/// Whether `metric` is a template definition (its value a template with `is_definition` true).
pub(crate) fn is_definition(metric: &Metric) -> bool {
    matches!(&metric.value, Some(Value::Template(t)) if t.is_definition == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tck-id-payloads-template-is-definition-definition,
    /// tck-id-payloads-template-is-definition-instance,
    /// tck-id-payloads-template-definition-ref, tck-id-payloads-template-instance-ref
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
