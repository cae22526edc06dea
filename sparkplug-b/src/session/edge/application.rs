//! The application side of the edge node: metric and device definitions, values, and
//! `flush`, which publishes what changed or hands it to store and forward.

use crate::session::{QoS, Timestamp};
use crate::topic::{DeviceId, DeviceMessageType};
use crate::{AliasTable, Quality, Template, Value};

use super::error::{
    AddDeviceError, DefineTemplateError, MetricSpecError, SetMetricError, UnknownDevice,
};
use super::metrics::{MetricSet, MetricSpec, is_reserved, same_but_case};
use super::{Device, EdgeEvent, EdgeNode, EdgeState, birth};

impl EdgeNode {
    /// Declares a template definition (a UDT) named `name`: its members with their datatypes
    /// and defaults, its parameters with their types and defaults, its version. Definitions are
    /// published in the NBIRTH only, with `is_definition = true`, before the metrics
    /// (`tck-id-payloads-template-definition-nbirth-only`,
    /// `tck-id-payloads-template-definition-is-definition`); node and device metrics of
    /// datatype Template are instances of them. A member that is itself a template is an
    /// instance of a template declared before. While `Online` this publishes a new birth
    /// sequence, as for [`EdgeNode::add_node_metric`].
    ///
    /// ```
    /// use sparkplug_b::session::{EdgeNode, EdgeNodeConfig, MetricSpec, Timestamp};
    /// use sparkplug_b::topic::{EdgeNodeId, GroupId};
    /// use sparkplug_b::{Metric, Parameter, Template};
    ///
    /// let config = EdgeNodeConfig::new(GroupId::new("G")?, EdgeNodeId::new("E")?);
    /// let mut node = EdgeNode::new(config, None);
    /// let t = Timestamp::from_millis(0);
    /// let compressor = Template::definition(vec![
    ///     Metric::new("SuctionPressure", 0.0),
    ///     Metric::new("Running", false),
    /// ])
    /// .with_parameter(Parameter::new("RatedKw", 75.0))
    /// .with_version("1");
    /// node.define_template(t, "Compressor", compressor)?;
    /// let c1 = Template::instance(
    ///     "Compressor",
    ///     vec![Metric::new("SuctionPressure", 1.2), Metric::new("Running", true)],
    /// );
    /// node.add_node_metric(t, MetricSpec::with_initial("Compressor1", c1))?;
    /// // An instance of a template never defined is refused.
    /// let pump = Template::instance("Pump", vec![]);
    /// assert!(node.add_node_metric(t, MetricSpec::with_initial("Pump1", pump)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn define_template(
        &mut self,
        now: Timestamp,
        name: impl Into<String>,
        definition: Template,
    ) -> Result<(), DefineTemplateError> {
        let name = name.into();
        let existing = if is_reserved(&name) || self.node.get(&name).is_some() {
            Some(name.clone())
        } else {
            self.node.name_like(&name).map(str::to_owned).or_else(|| {
                self.templates
                    .iter()
                    .map(|(n, _)| n)
                    .find(|n| *n != name && same_but_case(n, &name))
                    .map(str::to_owned)
            })
        };
        if let Some(existing) = existing {
            return Err(DefineTemplateError::NameTaken { name, existing });
        }
        let mut staged = self.templates.clone();
        staged.define(name.clone(), definition)?;
        if let Some(metric) = staged.birth_metrics(0).last() {
            let mut buf = Vec::new();
            crate::Payload::default()
                .with_metric(metric)
                .encode_with(&mut buf, &self.config.encode)
                .map_err(|source| DefineTemplateError::Unencodable {
                    name: name.clone(),
                    source,
                })?;
        }
        self.templates = staged;
        if self.state == EdgeState::Online {
            self.publish_births(now);
        }
        Ok(())
    }

    /// The template definitions declared with [`EdgeNode::define_template`].
    pub fn templates(&self) -> &crate::TemplateCatalog {
        &self.templates
    }

    /// Adds a node metric. While `Online` this publishes a new birth sequence at once, as
    /// births must list every metric of the session (`tck-id-topics-nbirth-metric-reqs`); add
    /// several with [`EdgeNode::add_node_metrics`] to publish one.
    pub fn add_node_metric(
        &mut self,
        now: Timestamp,
        spec: MetricSpec,
    ) -> Result<(), MetricSpecError> {
        self.add_node_metrics(now, [spec])
    }

    /// Adds node metrics, all or none, with at most one new birth sequence.
    pub fn add_node_metrics(
        &mut self,
        now: Timestamp,
        specs: impl IntoIterator<Item = MetricSpec>,
    ) -> Result<(), MetricSpecError> {
        let mut staged = self.node.clone();
        let mut next_alias = self.next_alias;
        self.stage(&mut staged, &mut next_alias, true, now, specs)?;
        self.node = staged;
        self.next_alias = next_alias;
        if self.state == EdgeState::Online {
            self.publish_births(now);
        }
        Ok(())
    }

    /// Attaches a device with its metrics; its DBIRTH is published at once if the node is
    /// `Online`, else with the next birth sequence. Aliases are unique across the node and
    /// all its devices (`tck-id-payloads-alias-uniqueness`).
    pub fn add_device(
        &mut self,
        now: Timestamp,
        device: DeviceId,
        specs: impl IntoIterator<Item = MetricSpec>,
    ) -> Result<(), AddDeviceError> {
        if self.device_index(&device).is_some() {
            return Err(AddDeviceError::DuplicateDevice(device));
        }
        let mut metrics = MetricSet::default();
        let mut next_alias = self.next_alias;
        self.stage(&mut metrics, &mut next_alias, false, now, specs)?;
        self.next_alias = next_alias;
        self.devices.push(Device {
            id: device,
            metrics,
            table: AliasTable::new(),
        });
        if self.state == EdgeState::Online {
            let index = self.devices.len() - 1;
            self.publish_dbirth(now, index);
        }
        Ok(())
    }

    /// Detaches a device, publishing its DDEATH if it was born in this session
    /// (`tck-id-operational-behavior-device-ddeath`). Its stored values are dropped.
    pub fn remove_device(
        &mut self,
        now: Timestamp,
        device: &DeviceId,
    ) -> Result<(), UnknownDevice> {
        let index = self
            .device_index(device)
            .ok_or_else(|| UnknownDevice(device.clone()))?;
        let removed = self.devices.remove(index);
        self.store.forget_device(device);
        if self.state.is_born() {
            let seq = self.take_seq();
            let topic = self.device_topic(DeviceMessageType::DDeath, &removed.id);
            self.publish(topic, &birth::ddeath(now, seq), QoS::AtMostOnce);
        }
        Ok(())
    }

    /// Records a new value of a node metric (`device: None`) or a device metric, acquired at
    /// `now`. It is published by the next [`EdgeNode::flush`] if it changed enough. `name` may
    /// be the path of a member of a Template metric (`Motor1/Speed`): the member is typed as
    /// its definition says, and the next data message carries the instance with the members
    /// that changed past their deadbands ([`MetricSpec::with_member_deadband`]).
    pub fn set_metric(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), SetMetricError> {
        self.set(now, device, name, Some(value.into()))
    }

    /// Sets the quality of a metric's current value, as of `now`: a failed sensor is
    /// `Quality::Bad`, published by the next [`EdgeNode::flush`] with the
    /// `Quality` property (Int32 0: `tck-id-payloads-propertyset-quality-value-type`,
    /// `tck-id-payloads-propertyset-quality-value-value`) rather than as a stale last value. The
    /// next [`EdgeNode::set_metric`] makes it GOOD again (no `Quality` property).
    pub fn set_metric_quality(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        name: &str,
        quality: Quality,
    ) -> Result<(), SetMetricError> {
        let set = self.metric_set_mut(device)?;
        if set.set_quality(now, name, quality) {
            Ok(())
        } else {
            Err(SetMetricError::UnknownMetric {
                device: device.cloned(),
                name: name.to_owned(),
            })
        }
    }

    /// Publishes values the application back-fills (read from a buffer after an outage, say)
    /// as historical NDATA (`device: None`) or DDATA: each `(metric name, value, acquisition
    /// time)` with `is_historical = true`, so hosts store it without taking it for the live
    /// value (SPARKPLUG.md 3.7). Checked like [`EdgeNode::set_metric`], all or nothing; the
    /// current values are left alone. When the node is not `Online` they go to store and
    /// forward, published after the next birth sequence.
    pub fn publish_historical(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        values: impl IntoIterator<Item = (String, Value, Timestamp)>,
    ) -> Result<(), SetMetricError> {
        let options = self.config.encode;
        let set = self.metric_set(device)?;
        let mut changes = Vec::new();
        for (name, value, at) in values {
            let change = set.historical(&name, value, at, &options).map_err(|e| {
                e.unwrap_or_else(|| SetMetricError::UnknownMetric {
                    device: device.cloned(),
                    name: name.clone(),
                })
            })?;
            changes.push(change);
        }
        if changes.is_empty() {
            return Ok(());
        }
        if self.state == EdgeState::Online {
            let batch = self.config.store_forward_batch.max(1);
            for chunk in changes.chunks(batch) {
                self.publish_data(now, device, chunk, true);
            }
        } else {
            let dropped = self.store.push(device, changes);
            if dropped > 0 {
                self.events
                    .push_back(EdgeEvent::StoreForwardDropped { count: dropped });
            }
        }
        Ok(())
    }

    /// Replaces the metadata of a Bytes or File metric (file name and type, size, md5,
    /// multi-part), checked against its current value: the next flush publishes the value with
    /// it. After [`EdgeNode::set_metric`] with a new value, the metadata's size follows the
    /// value and its md5 is dropped until given again here.
    pub fn set_metric_metadata(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        name: &str,
        metadata: crate::MetaData,
    ) -> Result<(), SetMetricError> {
        let set = self.metric_set_mut(device)?;
        set.set_metadata(now, name, metadata).map_err(|e| {
            e.unwrap_or_else(|| SetMetricError::UnknownMetric {
                device: device.cloned(),
                name: name.to_owned(),
            })
        })
    }

    /// Records that a metric's value is now null.
    pub fn set_metric_null(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        name: &str,
    ) -> Result<(), SetMetricError> {
        self.set(now, device, name, None)
    }

    /// The current value of a metric, or of a template member by its path (`Motor1/Speed`);
    /// `None` if it is null or does not exist.
    pub fn metric_value(&self, device: Option<&DeviceId>, name: &str) -> Option<&Value> {
        self.metric_set(device).ok()?.value_at(name)
    }

    /// The attached devices, in the order they were added.
    pub fn devices(&self) -> impl Iterator<Item = &DeviceId> {
        self.devices.iter().map(|d| &d.id)
    }

    /// How many values store and forward holds.
    pub fn stored_len(&self) -> usize {
        self.store.len()
    }

    /// Publishes what changed since the last report: one NDATA with the node's changed metrics
    /// and one DDATA per device with changes, seq + 1 each
    /// (`tck-id-topics-ndata-payload`, `tck-id-topics-ddata-payload`). When the node is not
    /// `Online` the changes go to store and forward instead.
    pub fn flush(&mut self, now: Timestamp) {
        let mut groups = vec![(None, self.node.take_changes())];
        for device in &mut self.devices {
            groups.push((Some(device.id.clone()), device.metrics.take_changes()));
        }
        groups.retain(|(_, changes)| !changes.is_empty());
        if self.state == EdgeState::Online {
            for (device, changes) in groups {
                self.publish_data(now, device.as_ref(), &changes, false);
            }
            return;
        }
        let mut dropped = 0;
        for (device, changes) in groups {
            dropped += self.store.push(device.as_ref(), changes);
        }
        if dropped > 0 {
            self.events
                .push_back(EdgeEvent::StoreForwardDropped { count: dropped });
        }
    }

    fn set(
        &mut self,
        now: Timestamp,
        device: Option<&DeviceId>,
        name: &str,
        value: Option<Value>,
    ) -> Result<(), SetMetricError> {
        let options = self.config.encode;
        let set = match device {
            None => &mut self.node,
            Some(d) => {
                let index = self
                    .device_index(d)
                    .ok_or_else(|| UnknownDevice(d.clone()))?;
                &mut self.devices[index].metrics
            }
        };
        set.set(now, name, value, &self.templates, &options)
            .map_err(|e| {
                e.unwrap_or_else(|| SetMetricError::UnknownMetric {
                    device: device.cloned(),
                    name: name.to_owned(),
                })
            })
    }

    /// Checks and adds `specs` to `set`, giving aliases from `next_alias`.
    fn stage(
        &self,
        set: &mut MetricSet,
        next_alias: &mut u64,
        node: bool,
        now: Timestamp,
        specs: impl IntoIterator<Item = MetricSpec>,
    ) -> Result<(), MetricSpecError> {
        for spec in specs {
            set.check(&spec, node, &self.templates, &self.config.encode)?;
            let alias = self.config.aliases.then_some(*next_alias);
            if alias.is_some() {
                *next_alias += 1;
            }
            set.insert(spec, alias, now);
        }
        Ok(())
    }

    pub(super) fn device_index(&self, device: &DeviceId) -> Option<usize> {
        self.devices.iter().position(|d| d.id == *device)
    }

    /// The metrics of the node (`None`) or of one of its devices.
    fn metric_set(&self, device: Option<&DeviceId>) -> Result<&MetricSet, UnknownDevice> {
        match device {
            None => Ok(&self.node),
            Some(d) => self
                .device_index(d)
                .map(|i| &self.devices[i].metrics)
                .ok_or_else(|| UnknownDevice(d.clone())),
        }
    }

    /// [`Self::metric_set`], to change.
    fn metric_set_mut(
        &mut self,
        device: Option<&DeviceId>,
    ) -> Result<&mut MetricSet, UnknownDevice> {
        match device {
            None => Ok(&mut self.node),
            Some(d) => match self.device_index(d) {
                Some(i) => Ok(&mut self.devices[i].metrics),
                None => Err(UnknownDevice(d.clone())),
            },
        }
    }
}
