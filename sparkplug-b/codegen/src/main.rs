//! Writes the generated prost code of sparkplug-b. See the library docs.

fn main() -> anyhow::Result<()> {
    let root = sparkplug_b_codegen::workspace_root();
    let code = sparkplug_b_codegen::generate(&root)?;
    let path = root.join(sparkplug_b_codegen::GENERATED_PATH);
    std::fs::write(&path, code)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
