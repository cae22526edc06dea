//! Prints a Sparkplug B payload file as JSON (the format of `docs/JSON.md`).
//!
//! ```text
//! cargo run -p sparkplug-b --example decode -- FILE [--birth BIRTH_FILE]
//! ```
//!
//! `FILE` may be `-` for standard input. With `--birth`, the metrics of a data or command
//! message are resolved through that birth: aliases get their names, values their datatypes.
//! Bad input prints an error and exits with status 1; bad arguments exit with status 2.

use std::io::Read;
use std::process::ExitCode;

use sparkplug_b::{AliasTable, Payload};

const USAGE: &str = "usage: decode FILE [--birth BIRTH_FILE]   (FILE may be - for stdin)";

fn read(path: &str) -> Result<Vec<u8>, String> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
    }
}

fn decode(path: &str) -> Result<Payload, String> {
    Payload::decode(&read(path)?).map_err(|e| format!("{path} is not a Sparkplug B payload: {e}"))
}

fn run(file: &str, birth: Option<&str>) -> Result<String, String> {
    let mut payload = decode(file)?;
    if let Some(birth_path) = birth {
        let birth = decode(birth_path)?;
        let table = AliasTable::from_birth(&birth)
            .map_err(|e| format!("{birth_path} cannot serve as a birth: {e}"))?;
        for (index, error) in table.resolve_payload(&mut payload) {
            eprintln!("warning: metric {index} left unresolved: {error}");
        }
    }
    Ok(payload.to_json_pretty())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (file, birth) = match args.as_slice() {
        [file] => (file.as_str(), None),
        [file, flag, birth] if flag == "--birth" => (file.as_str(), Some(birth.as_str())),
        [flag, birth, file] if flag == "--birth" => (file.as_str(), Some(birth.as_str())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(file, birth) {
        Ok(json) => {
            #[allow(clippy::print_stdout)] // printing the JSON is this program's job
            {
                println!("{json}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
