//! `amlctl schema export DIR`: write the embedded JSON Schemas for editors
//! (yaml-language-server, VS Code).

use std::path::PathBuf;
use std::process::ExitCode;

use miette::{IntoDiagnostic, WrapErr};

use crate::validate::schema::SCHEMAS;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    #[command(subcommand)]
    pub command: SchemaCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SchemaCommand {
    /// Write every manifest JSON Schema (draft 2020-12) into DIR.
    Export {
        /// Directory to write into (created if missing).
        dir: PathBuf,
    },
}

pub fn exec(args: SchemaArgs) -> miette::Result<ExitCode> {
    match args.command {
        SchemaCommand::Export { dir } => {
            std::fs::create_dir_all(&dir)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
            for s in &SCHEMAS {
                let path = dir.join(s.file_name);
                std::fs::write(&path, s.text)
                    .into_diagnostic()
                    .wrap_err_with(|| format!("cannot write {}", path.display()))?;
                println!("{}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
