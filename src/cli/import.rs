//! `amlctl import ADDRESS...`: adopt existing workspace resources that a manifest declares.

use std::process::ExitCode;

use miette::miette;

use super::plan::{ScopeArgs, prepare};
use super::target_args::TargetArgs;
use crate::model::ResourceId;
use crate::ops::SessionOptions;
use crate::ops::import::{Imported, import};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Resource addresses (KIND.NAME) to adopt; each must be declared by a manifest.
    #[arg(value_name = "ADDRESS", required = true)]
    pub addresses: Vec<ResourceId>,

    #[command(flatten)]
    pub target: TargetArgs,
}

pub fn exec(args: ImportArgs) -> miette::Result<ExitCode> {
    super::runtime()?.block_on(async move {
        let prepared = prepare(
            &args.target,
            &ScopeArgs::default(),
            &SessionOptions::default(),
        )
        .await?;
        let mut failed = 0;
        for address in &args.addresses {
            match import(&prepared.session, &prepared.loaded.desired, address).await {
                Ok(Imported::Adopted) => {
                    eprintln!("{address}: imported; amlctl manages it from now on")
                }
                Ok(Imported::AlreadyManaged) => eprintln!("{address}: already managed by amlctl"),
                Err(e) => {
                    failed += 1;
                    eprintln!("{:?}", miette::Report::from_err(e));
                }
            }
        }
        prepared.session.close().await;
        if failed > 0 {
            return Err(miette!(
                "{failed} of {} address(es) could not be imported",
                args.addresses.len()
            ));
        }
        eprintln!("Run `amlctl plan` to see how the manifests differ from the imported resources.");
        Ok(ExitCode::SUCCESS)
    })
}
