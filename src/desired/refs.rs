//! References: compute names and `azureml:` asset references → ARM ids.
//!
//! * compute: `cpu-cluster`, `azureml:cpu-cluster` → `{ws}/computes/cpu-cluster` (and a
//!   dependency on `compute.cpu-cluster`); a full ARM id is kept; `serverless` and `local`
//!   mean "no computeId".
//! * versioned assets (environments, code, data, models, components):
//!   `azureml:name:version` → `{ws}/{collection}/name/versions/version`;
//!   `azureml:name` → `{ws}/{collection}/name` (service default version);
//!   `azureml:name@label` (e.g. `@latest`) is sent as written, `azureml:name@latest`, which is
//!   what the Python SDK sends (it does not resolve labels client-side; the service does);
//!   `azureml:/subscriptions/...` → the ARM id; `azureml://registries/...`,
//!   `azureml://datastores/...` and other URIs are kept unchanged.

use crate::model::{Kind, ResourceId};

use super::{Needs, TranslateContext};

/// The ARM id for a job's `compute`, recording the dependency. `None`: serverless or local.
pub(crate) fn compute_id(ctx: &TranslateContext, raw: &str, needs: &mut Needs) -> Option<String> {
    let s = raw.trim();
    let s = s.strip_prefix("azureml:").unwrap_or(s);
    if s.eq_ignore_ascii_case("serverless") || s.eq_ignore_ascii_case("local") || s.is_empty() {
        return None;
    }
    if s.starts_with("/subscriptions/") {
        if let Some((_, name)) = s.rsplit_once("/computes/")
            && !name.is_empty()
            && !name.contains('/')
        {
            needs
                .depends_on
                .insert(ResourceId::new(Kind::Compute, name));
        }
        return Some(s.to_owned());
    }
    needs.depends_on.insert(ResourceId::new(Kind::Compute, s));
    Some(format!("{}/computes/{s}", ctx.workspace_id()))
}

/// The reference to send for a versioned asset in `collection` (`environments`, `codes`,
/// `data`, `models`, `components`).
pub(crate) fn asset_id(ctx: &TranslateContext, raw: &str, collection: &str) -> String {
    let s = raw.trim();
    if s.contains("://") {
        return s.to_owned();
    }
    let bare = s.strip_prefix("azureml:").unwrap_or(s);
    if bare.starts_with("/subscriptions/") || bare.starts_with("/") {
        return bare.to_owned();
    }
    if bare.contains('@') {
        return format!("azureml:{bare}");
    }
    match bare.split_once(':') {
        Some((name, version)) => format!(
            "{}/{collection}/{name}/versions/{version}",
            ctx.workspace_id()
        ),
        None => format!("{}/{collection}/{bare}", ctx.workspace_id()),
    }
}

/// `azureml:workspaceblobstore` (or a bare name) → the datastore's ARM id.
pub(crate) fn datastore_id(ctx: &TranslateContext, raw: &str) -> String {
    let s = raw.trim();
    let bare = s.strip_prefix("azureml:").unwrap_or(s);
    if bare.starts_with('/') || bare.contains("://") || bare.contains("${{") {
        return bare.to_owned();
    }
    format!("{}/datastores/{bare}", ctx.workspace_id())
}

/// The ARM id of a job in the workspace.
pub(crate) fn job_id(ctx: &TranslateContext, raw: &str) -> String {
    let bare = raw.trim().strip_prefix("azureml:").unwrap_or(raw.trim());
    if bare.starts_with('/') {
        return bare.to_owned();
    }
    format!("{}/jobs/{bare}", ctx.workspace_id())
}

/// Is `s` a reference to something in Azure rather than a local path?
pub(crate) fn is_remote(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("azureml:") || t.contains("://") || t.contains("${{")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> TranslateContext {
        TranslateContext {
            subscription: "sub".into(),
            resource_group: "rg".into(),
            workspace: "ws".into(),
            location: "eastus".into(),
        }
    }
    const WS: &str = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws";

    #[test]
    fn computes() {
        let mut needs = Needs::default();
        assert_eq!(
            compute_id(&ctx(), "azureml:cpu-cluster", &mut needs),
            Some(format!("{WS}/computes/cpu-cluster"))
        );
        assert_eq!(
            compute_id(&ctx(), "gpu", &mut needs),
            Some(format!("{WS}/computes/gpu"))
        );
        assert_eq!(compute_id(&ctx(), "azureml:serverless", &mut needs), None);
        let deps: Vec<String> = needs.depends_on.iter().map(|d| d.to_string()).collect();
        assert_eq!(deps, ["compute.cpu-cluster", "compute.gpu"]);
    }

    #[test]
    fn assets() {
        assert_eq!(
            asset_id(&ctx(), "azureml:env:3", "environments"),
            format!("{WS}/environments/env/versions/3")
        );
        assert_eq!(
            asset_id(&ctx(), "azureml:AzureML-sklearn-1.5@latest", "environments"),
            "azureml:AzureML-sklearn-1.5@latest"
        );
        let reg = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest";
        assert_eq!(asset_id(&ctx(), reg, "environments"), reg);
        assert_eq!(
            asset_id(&ctx(), "azureml:/subscriptions/x/y", "environments"),
            "/subscriptions/x/y"
        );
        assert_eq!(
            asset_id(&ctx(), "azureml:env", "environments"),
            format!("{WS}/environments/env")
        );
    }
}
