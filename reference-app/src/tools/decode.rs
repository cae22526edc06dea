//! `reference-app decode`: a payload to JSON, named through a birth, checked against a topic.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, bail};
use sparkplug_b::topic::Topic;
use sparkplug_b::{AliasTable, Payload, validate};

use crate::cli::DecodeArgs;

fn read(path: Option<&Path>) -> Result<Vec<u8>> {
    match path {
        None => read_stdin(),
        Some(p) if p.as_os_str() == "-" => read_stdin(),
        Some(p) => std::fs::read(p).with_context(|| format!("cannot read {}", p.display())),
    }
}

fn read_stdin() -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    Ok(bytes)
}

/// Decodes, resolves and validates; the JSON to print, and warnings for standard error.
pub(crate) fn decode(args: &DecodeArgs, input: &[u8]) -> Result<(String, Vec<String>)> {
    let mut warnings = Vec::new();
    let mut payload = Payload::decode(input).context("not a Sparkplug B payload")?;
    if let Some(birth_path) = &args.birth {
        let bytes = read(Some(birth_path))?;
        let birth = Payload::decode(&bytes)
            .with_context(|| format!("{} is not a Sparkplug B payload", birth_path.display()))?;
        let table = AliasTable::from_birth(&birth)
            .with_context(|| format!("{} cannot serve as a birth", birth_path.display()))?;
        for (index, error) in table.resolve_payload(&mut payload) {
            warnings.push(format!("metric {index} left unresolved: {error}"));
        }
    }
    if let Some(topic) = &args.topic {
        let topic: Topic = match topic.parse() {
            Ok(t) => t,
            Err(e) => bail!("--topic {topic:?} is not a Sparkplug topic: {e}"),
        };
        if let Err(violations) = validate(topic.message_type(), &payload) {
            warnings.push(format!(
                "breaks the {} rules: {violations}",
                topic.message_type()
            ));
        }
    }
    Ok((payload.to_json_pretty(), warnings))
}

/// Runs the subcommand.
pub(crate) fn run(args: &DecodeArgs) -> Result<()> {
    let input = read(args.file.as_deref())?;
    let (json, warnings) = decode(args, &input)?;
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    // `| head` closing the pipe ends the output quietly (output.rs).
    super::output::print(&format!("{json}\n"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sparkplug_b::Metric;

    fn args(topic: Option<&str>) -> DecodeArgs {
        DecodeArgs {
            file: None,
            birth: None,
            topic: topic.map(str::to_owned),
        }
    }

    #[test]
    fn a_payload_decodes_to_json_with_its_metrics() {
        let bytes = Payload::new(1)
            .with_seq(0)
            .with_metric(Metric::new("bdSeq", 0i64))
            .with_metric(Metric::new("Brine/Temperature", -11.5f64))
            .encode_to_vec()
            .unwrap();
        let (json, warnings) = decode(&args(None), &bytes).unwrap();
        assert!(
            json.contains("Brine/Temperature") && json.contains("-11.5"),
            "{json}"
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = decode(&args(None), &[0xff, 0xff, 0xff]).unwrap_err();
        assert!(
            format!("{err:#}").contains("not a Sparkplug B payload"),
            "{err:#}"
        );
    }

    #[test]
    fn a_topic_checks_the_message_type_rules() {
        // An NBIRTH needs seq 0 and bdSeq (tck-id-payloads-nbirth-seq,
        // tck-id-payloads-nbirth-bdseq).
        let bytes = Payload::new(1).encode_to_vec().unwrap();
        let (_, warnings) = decode(&args(Some("spBv1.0/G/NBIRTH/N")), &bytes).unwrap();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("NBIRTH"), "{warnings:?}");
    }
}
