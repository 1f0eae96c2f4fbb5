//! Client configuration: which cloud, which endpoint, which credential, and the retry, LRO and
//! concurrency knobs. Plain data; nothing here does I/O.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::auth::CredentialSpec;
use crate::error::ArmError;

/// The one api-version every ARM call carries (newest stable Microsoft.MachineLearningServices).
pub const API_VERSION: &str = "2026-03-01";
/// The Microsoft.Resources api-version used for the Tags API at a resource's scope.
pub const TAGS_API_VERSION: &str = "2021-04-01";

/// Environment variable for a custom ARM endpoint (same as `--endpoint`).
pub const ENDPOINT_ENV: &str = "AMLCTL_ARM_ENDPOINT";
/// Environment variable for an extra trusted CA file (same as `--ca-file`).
pub const CA_FILE_ENV: &str = "AMLCTL_CA_FILE";
/// Query pair for lists that hide disabled schedules / archived jobs by default.
pub const LIST_VIEW_ALL: (&str, &str) = ("listViewType", "All");

/// An Azure cloud: decides the default ARM endpoint, the token scope and the Entra authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cloud {
    Public,
    China,
    UsGovernment,
    /// A custom ARM endpoint (an Azure Stack, or the local emulator).
    Custom(url::Url),
}

impl Cloud {
    /// The ARM endpoint of this cloud.
    pub fn arm_endpoint(&self) -> url::Url {
        let s = match self {
            Cloud::Public => "https://management.azure.com/",
            Cloud::China => "https://management.chinacloudapi.cn/",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net/",
            Cloud::Custom(url) => return url.clone(),
        };
        // The literals above are valid URLs; parsing cannot fail.
        url::Url::parse(s).unwrap_or_else(|_| unreachable!("static ARM endpoint URL"))
    }

    /// The OAuth scope for ARM tokens in this cloud (`<resource>/.default`).
    pub fn token_scope(&self) -> String {
        let endpoint = self.arm_endpoint();
        format!("{}/.default", endpoint.origin().ascii_serialization())
    }

    pub(crate) fn azure_core_cloud(&self) -> azure_core::cloud::CloudConfiguration {
        use azure_core::cloud::CloudConfiguration as C;
        match self {
            Cloud::Public | Cloud::Custom(_) => C::AzurePublic,
            Cloud::China => C::AzureChina,
            Cloud::UsGovernment => C::AzureGovernment,
        }
    }
}

impl FromStr for Cloud {
    type Err = ArmError;

    /// Accepts `public`, `china`, `usgov` (and the `az cloud` names `AzureCloud`,
    /// `AzureChinaCloud`, `AzureUSGovernment`), or an `https://` / loopback `http://` URL.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "public" | "azurecloud" | "azurepubliccloud" => Ok(Cloud::Public),
            "china" | "azurechinacloud" => Ok(Cloud::China),
            "usgov" | "usgovernment" | "azureusgovernment" | "azureusgovernmentcloud" => {
                Ok(Cloud::UsGovernment)
            }
            _ if lower.starts_with("https://") || lower.starts_with("http://") => {
                let url = url::Url::parse(s.trim()).map_err(|e| ArmError::Config {
                    message: format!("invalid cloud endpoint URL: {e}"),
                })?;
                Ok(Cloud::Custom(url))
            }
            _ => Err(ArmError::Config {
                message: format!(
                    "unknown cloud `{s}` (expected public, china, usgov or an endpoint URL)"
                ),
            }),
        }
    }
}

/// Retry bounds for one logical request (all attempts together).
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// First backoff step; doubles each attempt, with jitter.
    pub base_delay: Duration,
    /// Upper bound for one backoff sleep (and for an honoured `Retry-After`).
    pub max_delay: Duration,
    /// Give up once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
    /// Timeout of a single HTTP attempt (connect + response).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(180),
            attempt_timeout: Duration::from_secs(100),
        }
    }
}

/// Long-running-operation polling bounds.
#[derive(Clone, Debug)]
pub struct LroPolicy {
    /// Give up waiting for one operation after this long.
    pub timeout: Duration,
    /// Poll interval when the service sends no `Retry-After`.
    pub default_poll_interval: Duration,
    /// Upper bound for an honoured `Retry-After` between polls.
    pub max_poll_interval: Duration,
}

impl Default for LroPolicy {
    fn default() -> Self {
        LroPolicy {
            timeout: Duration::from_secs(30 * 60),
            default_poll_interval: Duration::from_secs(5),
            max_poll_interval: Duration::from_secs(60),
        }
    }
}

/// Everything [`crate::ArmClient::new`] needs.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The ARM endpoint (from [`Cloud::arm_endpoint`], or `--endpoint` / `AMLCTL_ARM_ENDPOINT`).
    pub endpoint: url::Url,
    /// The cloud: token scope and Entra authority host.
    pub cloud: Cloud,
    /// Which credential to use.
    pub credential: CredentialSpec,
    /// Extra trusted CA certificates (PEM), e.g. the emulator's self-signed certificate.
    pub ca_file: Option<PathBuf>,
    /// At most this many HTTP requests in flight at once.
    pub max_concurrency: usize,
    pub retry: RetryPolicy,
    pub lro: LroPolicy,
}

impl ClientConfig {
    /// Defaults for `cloud`: its ARM endpoint, 10 concurrent requests, default retry and LRO policies.
    pub fn new(cloud: Cloud, credential: CredentialSpec) -> ClientConfig {
        ClientConfig {
            endpoint: cloud.arm_endpoint(),
            cloud,
            credential,
            ca_file: None,
            max_concurrency: 10,
            retry: RetryPolicy::default(),
            lro: LroPolicy::default(),
        }
    }

    /// Defaults for a custom endpoint (the emulator): `Cloud::Custom(endpoint)`.
    pub fn for_endpoint(endpoint: url::Url, credential: CredentialSpec) -> ClientConfig {
        ClientConfig::new(Cloud::Custom(endpoint), credential)
    }
}

/// The ARM path of a workspace: `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}`.
pub fn workspace_path(subscription: &str, resource_group: &str, workspace: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_parse_and_scope() {
        let public: Cloud = "AzureCloud".parse().expect("public");
        assert_eq!(public, Cloud::Public);
        assert_eq!(
            public.token_scope(),
            "https://management.azure.com/.default"
        );
        let china: Cloud = "china".parse().expect("china");
        assert_eq!(
            china.arm_endpoint().as_str(),
            "https://management.chinacloudapi.cn/"
        );
        let gov: Cloud = "AzureUSGovernment".parse().expect("gov");
        assert_eq!(
            gov.token_scope(),
            "https://management.usgovcloudapi.net/.default"
        );
        let custom: Cloud = "https://127.0.0.1:8443/".parse().expect("custom");
        assert_eq!(custom.arm_endpoint().port(), Some(8443));
        assert!("mars".parse::<Cloud>().is_err());
    }

    #[test]
    fn workspace_path_shape() {
        assert_eq!(
            workspace_path("s", "rg", "ws"),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws"
        );
    }
}
