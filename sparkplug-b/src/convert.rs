//! Conversions between the typed model and the prost wire structs of [`crate::proto`].
//!
//! Wire to model applies the same interpretation as [`Payload::decode`]: values are read as
//! their declared datatype by [`Value::reinterpret`]. Model to wire applies the encoder's
//! rules (sign extension, array packing, the UInt32 field choice of [`EncodeOptions`]).
//! A property test checks that both paths agree with the hand-written codec.

use crate::encode::Scalar;
use crate::error::{DecodeError, EncodeError, ValueError};
use crate::proto::payload as wire;
use crate::{
    DataSet, DataType, EncodeOptions, MetaData, Metric, Parameter, Payload, PropertySet,
    PropertyValue, Template, Value, proto,
};

impl TryFrom<proto::Payload> for Payload {
    type Error = DecodeError;

    fn try_from(p: proto::Payload) -> Result<Self, DecodeError> {
        let metrics = p
            .metrics
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                metric_from_wire(m).map_err(|source| DecodeError::Value { metric: i, source })
            })
            .collect::<Result<_, _>>()?;
        Ok(Payload {
            timestamp: p.timestamp,
            metrics,
            seq: p.seq,
            uuid: p.uuid,
            body: p.body,
        })
    }
}

impl TryFrom<&Payload> for proto::Payload {
    type Error = EncodeError;

    fn try_from(p: &Payload) -> Result<Self, EncodeError> {
        p.to_wire(&EncodeOptions::default())
    }
}

impl Payload {
    /// The prost wire struct of this payload, encoded with `options`.
    pub fn to_wire(&self, options: &EncodeOptions) -> Result<proto::Payload, EncodeError> {
        Ok(proto::Payload {
            timestamp: self.timestamp,
            metrics: self
                .metrics
                .iter()
                .map(|m| metric_to_wire(m, options))
                .collect::<Result<_, _>>()?,
            seq: self.seq,
            uuid: self.uuid.clone(),
            body: self.body.clone(),
        })
    }
}

fn typed(natural: Option<Value>, datatype: Option<DataType>) -> Result<Option<Value>, ValueError> {
    match (natural, datatype) {
        (Some(v), Some(dt)) => v.reinterpret(dt).map(Some),
        (v, _) => Ok(v),
    }
}

fn metric_from_wire(m: wire::Metric) -> Result<Metric, ValueError> {
    use wire::metric::Value as V;
    let datatype = m.datatype.map(DataType::from_code);
    let natural = match m.value {
        None | Some(V::ExtensionValue(_)) => None,
        Some(V::IntValue(x)) => Some(Value::UInt32(x)),
        Some(V::LongValue(x)) => Some(Value::UInt64(x)),
        Some(V::FloatValue(x)) => Some(Value::Float(x)),
        Some(V::DoubleValue(x)) => Some(Value::Double(x)),
        Some(V::BooleanValue(x)) => Some(Value::Boolean(x)),
        Some(V::StringValue(x)) => Some(Value::String(x)),
        Some(V::BytesValue(x)) => Some(Value::Bytes(x)),
        Some(V::DatasetValue(x)) => Some(Value::DataSet(Box::new(dataset_from_wire(x)?))),
        Some(V::TemplateValue(x)) => Some(Value::Template(Box::new(template_from_wire(x)?))),
    };
    Ok(Metric {
        name: m.name,
        alias: m.alias,
        timestamp: m.timestamp,
        datatype,
        is_historical: m.is_historical.unwrap_or(false),
        is_transient: m.is_transient.unwrap_or(false),
        is_null: m.is_null.unwrap_or(false),
        metadata: m.metadata.map(|md| Box::new(metadata_from_wire(md))),
        properties: m.properties.map(property_set_from_wire).transpose()?,
        value: typed(natural, datatype)?,
    })
}

fn metadata_from_wire(m: wire::MetaData) -> MetaData {
    MetaData {
        is_multi_part: m.is_multi_part,
        content_type: m.content_type,
        size: m.size,
        seq: m.seq,
        file_name: m.file_name,
        file_type: m.file_type,
        md5: m.md5,
        description: m.description,
    }
}

fn property_set_from_wire(set: wire::PropertySet) -> Result<PropertySet, ValueError> {
    Ok(PropertySet {
        keys: set.keys,
        values: set
            .values
            .into_iter()
            .map(property_value_from_wire)
            .collect::<Result<_, _>>()?,
    })
}

fn property_value_from_wire(pv: wire::PropertyValue) -> Result<PropertyValue, ValueError> {
    use wire::property_value::Value as V;
    let datatype = pv.r#type.map(DataType::from_code);
    let natural = match pv.value {
        None | Some(V::ExtensionValue(_)) => None,
        Some(V::IntValue(x)) => Some(Value::UInt32(x)),
        Some(V::LongValue(x)) => Some(Value::UInt64(x)),
        Some(V::FloatValue(x)) => Some(Value::Float(x)),
        Some(V::DoubleValue(x)) => Some(Value::Double(x)),
        Some(V::BooleanValue(x)) => Some(Value::Boolean(x)),
        Some(V::StringValue(x)) => Some(Value::String(x)),
        Some(V::PropertysetValue(x)) => {
            Some(Value::PropertySet(Box::new(property_set_from_wire(x)?)))
        }
        Some(V::PropertysetsValue(x)) => Some(Value::PropertySetList(
            x.propertyset
                .into_iter()
                .map(property_set_from_wire)
                .collect::<Result<_, _>>()?,
        )),
    };
    Ok(PropertyValue {
        datatype,
        is_null: pv.is_null.unwrap_or(false),
        value: typed(natural, datatype)?,
    })
}

fn dataset_from_wire(ds: wire::DataSet) -> Result<DataSet, ValueError> {
    use wire::data_set::data_set_value::Value as V;
    let types: Vec<DataType> = ds.types.into_iter().map(DataType::from_code).collect();
    let rows = ds
        .rows
        .into_iter()
        .map(|row| {
            row.elements
                .into_iter()
                .enumerate()
                .map(|(i, cell)| {
                    let natural = match cell.value {
                        None | Some(V::ExtensionValue(_)) => None,
                        Some(V::IntValue(x)) => Some(Value::UInt32(x)),
                        Some(V::LongValue(x)) => Some(Value::UInt64(x)),
                        Some(V::FloatValue(x)) => Some(Value::Float(x)),
                        Some(V::DoubleValue(x)) => Some(Value::Double(x)),
                        Some(V::BooleanValue(x)) => Some(Value::Boolean(x)),
                        Some(V::StringValue(x)) => Some(Value::String(x)),
                    };
                    typed(natural, types.get(i).copied())
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<_, _>>()?;
    Ok(DataSet {
        num_of_columns: ds.num_of_columns.unwrap_or(0),
        columns: ds.columns,
        types,
        rows,
    })
}

fn template_from_wire(t: wire::Template) -> Result<Template, ValueError> {
    use wire::template::parameter::Value as V;
    let parameters = t
        .parameters
        .into_iter()
        .map(|p| {
            let datatype = p.r#type.map(DataType::from_code);
            let natural = match p.value {
                None | Some(V::ExtensionValue(_)) => None,
                Some(V::IntValue(x)) => Some(Value::UInt32(x)),
                Some(V::LongValue(x)) => Some(Value::UInt64(x)),
                Some(V::FloatValue(x)) => Some(Value::Float(x)),
                Some(V::DoubleValue(x)) => Some(Value::Double(x)),
                Some(V::BooleanValue(x)) => Some(Value::Boolean(x)),
                Some(V::StringValue(x)) => Some(Value::String(x)),
            };
            Ok(Parameter {
                name: p.name,
                datatype,
                value: typed(natural, datatype)?,
            })
        })
        .collect::<Result<_, ValueError>>()?;
    Ok(Template {
        version: t.version,
        metrics: t
            .metrics
            .into_iter()
            .map(metric_from_wire)
            .collect::<Result<_, _>>()?,
        parameters,
        template_ref: t.template_ref,
        is_definition: t.is_definition,
    })
}

/// The six scalar oneof arms, in the order every value oneof of the schema shares.
macro_rules! scalar_arm {
    ($module:path, $scalar:expr) => {{
        use $module as V;
        match $scalar {
            Scalar::Int(v) => V::IntValue(v),
            Scalar::Long(v) => V::LongValue(v),
            Scalar::Float(v) => V::FloatValue(v),
            Scalar::Double(v) => V::DoubleValue(v),
            Scalar::Bool(v) => V::BooleanValue(v),
            Scalar::Str(v) => V::StringValue(v.to_owned()),
        }
    }};
}

fn scalar<'v>(
    v: &'v Value,
    options: &EncodeOptions,
    place: &'static str,
) -> Result<Scalar<'v>, EncodeError> {
    Scalar::of(v, options).ok_or(EncodeError::Unrepresentable {
        datatype: v.data_type(),
        place,
    })
}

fn metric_to_wire(m: &Metric, options: &EncodeOptions) -> Result<wire::Metric, EncodeError> {
    use wire::metric::Value as V;
    let value = match &m.value {
        None => None,
        Some(v) => Some(match Scalar::of(v, options) {
            Some(s) => scalar_arm!(wire::metric::Value, s),
            None => match v {
                Value::Bytes(b) | Value::File(b) => V::BytesValue(b.clone()),
                Value::DataSet(ds) => V::DatasetValue(dataset_to_wire(ds, options)?),
                Value::Template(t) => V::TemplateValue(template_to_wire(t, options)?),
                other => {
                    let mut packed = Vec::new();
                    match crate::array::pack(other, &mut packed) {
                        Some(result) => result?,
                        None => {
                            return Err(EncodeError::Unrepresentable {
                                datatype: other.data_type(),
                                place: "metric",
                            });
                        }
                    }
                    V::BytesValue(packed)
                }
            },
        }),
    };
    Ok(wire::Metric {
        name: m.name.clone(),
        alias: m.alias,
        timestamp: m.timestamp,
        datatype: m.datatype.map(DataType::code),
        is_historical: m.is_historical.then_some(true),
        is_transient: m.is_transient.then_some(true),
        is_null: m.is_null.then_some(true),
        metadata: m.metadata.as_deref().map(metadata_to_wire),
        properties: m
            .properties
            .as_ref()
            .map(|p| property_set_to_wire(p, options))
            .transpose()?,
        value,
    })
}

fn metadata_to_wire(m: &MetaData) -> wire::MetaData {
    wire::MetaData {
        is_multi_part: m.is_multi_part,
        content_type: m.content_type.clone(),
        size: m.size,
        seq: m.seq,
        file_name: m.file_name.clone(),
        file_type: m.file_type.clone(),
        md5: m.md5.clone(),
        description: m.description.clone(),
    }
}

fn property_set_to_wire(
    set: &PropertySet,
    options: &EncodeOptions,
) -> Result<wire::PropertySet, EncodeError> {
    Ok(wire::PropertySet {
        keys: set.keys.clone(),
        values: set
            .values
            .iter()
            .map(|pv| property_value_to_wire(pv, options))
            .collect::<Result<_, _>>()?,
    })
}

fn property_value_to_wire(
    pv: &PropertyValue,
    options: &EncodeOptions,
) -> Result<wire::PropertyValue, EncodeError> {
    use wire::property_value::Value as V;
    let value = match &pv.value {
        None => None,
        Some(Value::PropertySet(set)) => {
            Some(V::PropertysetValue(property_set_to_wire(set, options)?))
        }
        Some(Value::PropertySetList(list)) => Some(V::PropertysetsValue(wire::PropertySetList {
            propertyset: list
                .iter()
                .map(|s| property_set_to_wire(s, options))
                .collect::<Result<_, _>>()?,
        })),
        Some(v) => Some(scalar_arm!(
            wire::property_value::Value,
            scalar(v, options, "property value")?
        )),
    };
    Ok(wire::PropertyValue {
        r#type: pv.datatype.map(DataType::code),
        is_null: pv.is_null.then_some(true),
        value,
    })
}

fn dataset_to_wire(ds: &DataSet, options: &EncodeOptions) -> Result<wire::DataSet, EncodeError> {
    let rows = ds
        .rows
        .iter()
        .map(|row| {
            let elements = row
                .iter()
                .map(|cell| {
                    let value = match cell {
                        None => None,
                        Some(v) => Some(scalar_arm!(
                            wire::data_set::data_set_value::Value,
                            scalar(v, options, "DataSet cell")?
                        )),
                    };
                    Ok(wire::data_set::DataSetValue { value })
                })
                .collect::<Result<_, EncodeError>>()?;
            Ok(wire::data_set::Row { elements })
        })
        .collect::<Result<_, EncodeError>>()?;
    Ok(wire::DataSet {
        num_of_columns: Some(ds.num_of_columns),
        columns: ds.columns.clone(),
        types: ds.types.iter().map(|t| t.code()).collect(),
        rows,
    })
}

fn template_to_wire(t: &Template, options: &EncodeOptions) -> Result<wire::Template, EncodeError> {
    let parameters = t
        .parameters
        .iter()
        .map(|p| {
            let value = match &p.value {
                None => None,
                Some(v) => Some(scalar_arm!(
                    wire::template::parameter::Value,
                    scalar(v, options, "template parameter")?
                )),
            };
            Ok(wire::template::Parameter {
                name: p.name.clone(),
                r#type: p.datatype.map(DataType::code),
                value,
            })
        })
        .collect::<Result<_, EncodeError>>()?;
    Ok(wire::Template {
        version: t.version.clone(),
        metrics: t
            .metrics
            .iter()
            .map(|m| metric_to_wire(m, options))
            .collect::<Result<_, _>>()?,
        parameters,
        template_ref: t.template_ref.clone(),
        is_definition: t.is_definition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPARKPLUG.md 3.2: a Tahu-style UInt32 in long_value converts like the decoder reads it.
    #[test]
    fn wire_structs_convert_with_the_decoders_rules() {
        let wire = proto::Payload {
            metrics: vec![wire::Metric {
                name: Some("u".into()),
                datatype: Some(DataType::UInt32.code()),
                value: Some(wire::metric::Value::LongValue(4_000_000_000)),
                ..wire::Metric::default()
            }],
            ..proto::Payload::default()
        };
        let p = Payload::try_from(wire).unwrap();
        assert_eq!(p.metrics[0].value, Some(Value::UInt32(4_000_000_000)));
        let back = proto::Payload::try_from(&p).unwrap();
        assert_eq!(
            back.metrics[0].value,
            Some(wire::metric::Value::IntValue(4_000_000_000))
        );
    }

    #[test]
    fn conversion_errors_name_the_metric() {
        let wire = proto::Payload {
            metrics: vec![
                wire::Metric::default(),
                wire::Metric {
                    datatype: Some(DataType::UInt8.code()),
                    value: Some(wire::metric::Value::IntValue(300)),
                    ..wire::Metric::default()
                },
            ],
            ..proto::Payload::default()
        };
        assert!(matches!(
            Payload::try_from(wire),
            Err(DecodeError::Value { metric: 1, .. })
        ));
    }
}
