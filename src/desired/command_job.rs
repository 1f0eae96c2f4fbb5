//! Command jobs (`type: command` or no `type`) → `jobType: Command`.
//!
//! `command`, `code` → `codeId` (local folders become code assets), `environment` →
//! `environmentId`, `environment_variables`, `inputs`/`outputs`, `resources`,
//! `distribution` (`{distributionType: PyTorch|Mpi|TensorFlow|Ray, ...}`), `limits.timeout`
//! (seconds) → `{jobLimitsType: Command, timeout: ISO-8601}`, plus the base job fields.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::io::{Style, inputs, outputs};
use super::job_common::{base_fields, command_limits, command_parts};
use super::value::{Obj, put};
use super::{Needs, TranslateError};

pub(crate) fn properties(
    root: &Obj,
    base_dir: &Path,
    needs: &mut Needs,
) -> Result<Map<String, Value>, TranslateError> {
    let mut p = Map::new();
    p.insert("jobType".into(), json!("Command"));
    p.extend(command_parts(root, base_dir, needs)?);
    put(
        &mut p,
        "inputs",
        inputs(&root.cx, root, base_dir, Style::Rest, needs)?,
    );
    put(&mut p, "outputs", outputs(&root.cx, root, Style::Rest)?);
    put(&mut p, "limits", command_limits(root)?);
    base_fields(root, base_dir, &mut p, needs)?;
    Ok(p)
}
