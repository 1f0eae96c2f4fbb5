//! Authentication: which credential (`--auth`), the `Auto` chain (azure_identity 1.0 has no
//! DefaultAzureCredential), and a token cache. Tokens live in [`Secret`], whose `Debug` is redacted.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use tokio::sync::Mutex;

use crate::config::Cloud;
use crate::error::ArmError;
use crate::transport::ReqwestTransport;

/// Environment variable holding the static token for `--auth token`.
pub const ACCESS_TOKEN_ENV: &str = "AMLCTL_ACCESS_TOKEN";

/// A secret string (token, client secret). `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value; only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How to authenticate (`--auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// Try, in order: client secret, workload identity, managed identity, Azure CLI.
    Auto,
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
    ClientSecret,
    /// Federated token file (`AZURE_FEDERATED_TOKEN_FILE`, e.g. GitHub Actions OIDC) + tenant/client id.
    WorkloadIdentity,
    /// The VM/App Service managed identity (user-assigned when `AZURE_CLIENT_ID` is set).
    ManagedIdentity,
    /// `az account get-access-token`.
    AzureCli,
    /// A static bearer token from `AMLCTL_ACCESS_TOKEN` (for the emulator).
    Token,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Auto => "auto",
            AuthMethod::ClientSecret => "client-secret",
            AuthMethod::WorkloadIdentity => "workload-identity",
            AuthMethod::ManagedIdentity => "managed-identity",
            AuthMethod::AzureCli => "azure-cli",
            AuthMethod::Token => "token",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMethod {
    type Err = ArmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalized: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect();
        match normalized.as_str() {
            "auto" | "default" => Ok(AuthMethod::Auto),
            "clientsecret" | "secret" | "serviceprincipal" => Ok(AuthMethod::ClientSecret),
            "workloadidentity" | "workload" | "oidc" | "federated" => {
                Ok(AuthMethod::WorkloadIdentity)
            }
            "managedidentity" | "msi" | "managed" => Ok(AuthMethod::ManagedIdentity),
            "azurecli" | "cli" | "az" => Ok(AuthMethod::AzureCli),
            "token" | "static" => Ok(AuthMethod::Token),
            _ => Err(ArmError::Config {
                message: format!(
                    "unknown auth method `{s}` (expected auto, client-secret, workload-identity, managed-identity, azure-cli or token)"
                ),
            }),
        }
    }
}

/// Which credential to use, plus the inputs that do not come from azure_identity's own env vars.
#[derive(Clone, Debug)]
pub struct CredentialSpec {
    pub method: AuthMethod,
    /// For [`AuthMethod::Token`]: the bearer token.
    pub static_token: Option<Secret>,
}

impl CredentialSpec {
    /// `method`, with the static token read from `AMLCTL_ACCESS_TOKEN` when it is set.
    pub fn from_env(method: AuthMethod) -> CredentialSpec {
        CredentialSpec {
            method,
            static_token: std::env::var(ACCESS_TOKEN_ENV)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .map(Secret::new),
        }
    }

    /// A static bearer token (`--auth token`).
    pub fn static_token(token: impl Into<String>) -> CredentialSpec {
        CredentialSpec {
            method: AuthMethod::Token,
            static_token: Some(Secret::new(token)),
        }
    }
}

/// How long one credential may take to answer before the chain moves on.
const CREDENTIAL_TIMEOUT: Duration = Duration::from_secs(30);
/// In the `Auto` chain, the managed-identity endpoint (IMDS) answers within a second on Azure;
/// off Azure it may not answer at all, so the chain does not wait long for it.
const AUTO_MANAGED_IDENTITY_TIMEOUT: Duration = Duration::from_secs(3);
/// Refresh a cached token this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// A credential of the chain: name, how long to wait for it, and the credential (or why it is
/// not configured).
struct Candidate {
    name: &'static str,
    timeout: Duration,
    credential: Result<Arc<dyn TokenCredential>, String>,
}

/// Produces bearer tokens for ARM; caches them until shortly before expiry.
pub(crate) struct TokenSource {
    kind: Kind,
    scope: String,
    cache: Mutex<Option<(Secret, Instant)>>,
}

enum Kind {
    Static(Secret),
    Chain(Vec<Candidate>),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = match &self.kind {
            Kind::Static(_) => vec!["Token"],
            Kind::Chain(c) => c.iter().map(|c| c.name).collect(),
        };
        f.debug_struct("TokenSource")
            .field("credentials", &names)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub(crate) fn new(
        spec: &CredentialSpec,
        cloud: &Cloud,
        http: reqwest::Client,
    ) -> Result<TokenSource, ArmError> {
        let scope = cloud.token_scope();
        if spec.method == AuthMethod::Token {
            let token = spec.static_token.clone().ok_or_else(|| ArmError::Auth {
                tried: vec![(
                    "Token".to_string(),
                    format!("{ACCESS_TOKEN_ENV} is not set"),
                )],
            })?;
            return Ok(TokenSource {
                kind: Kind::Static(token),
                scope,
                cache: Mutex::new(None),
            });
        }
        let options = || ClientOptions {
            transport: Some(Transport::new(Arc::new(ReqwestTransport::new(
                http.clone(),
            )))),
            cloud: Some(Arc::new(cloud.azure_core_cloud())),
            ..Default::default()
        };
        let all = [
            AuthMethod::ClientSecret,
            AuthMethod::WorkloadIdentity,
            AuthMethod::ManagedIdentity,
            AuthMethod::AzureCli,
        ];
        let auto = spec.method == AuthMethod::Auto;
        let chosen: Vec<AuthMethod> = if auto {
            all.to_vec()
        } else {
            vec![spec.method]
        };
        let candidates = chosen
            .into_iter()
            .map(|m| Candidate {
                name: credential_name(m),
                timeout: if auto && m == AuthMethod::ManagedIdentity {
                    AUTO_MANAGED_IDENTITY_TIMEOUT
                } else {
                    CREDENTIAL_TIMEOUT
                },
                credential: build_credential(m, options()),
            })
            .collect();
        Ok(TokenSource {
            kind: Kind::Chain(candidates),
            scope,
            cache: Mutex::new(None),
        })
    }

    /// A bearer token, from the cache when it is still fresh.
    pub(crate) async fn token(&self) -> Result<Secret, ArmError> {
        let candidates = match &self.kind {
            Kind::Static(t) => return Ok(t.clone()),
            Kind::Chain(c) => c,
        };
        let mut cache = self.cache.lock().await;
        if let Some((token, fresh_until)) = cache.as_ref()
            && Instant::now() < *fresh_until
        {
            return Ok(token.clone());
        }
        let mut tried = Vec::new();
        for Candidate {
            name,
            timeout,
            credential,
        } in candidates
        {
            let credential = match credential {
                Ok(c) => c,
                Err(why) => {
                    tried.push((name.to_string(), why.clone()));
                    continue;
                }
            };
            let scopes = [self.scope.as_str()];
            match tokio::time::timeout(*timeout, credential.get_token(&scopes, None)).await {
                Ok(Ok(access)) => {
                    let lifetime = (access.expires_on - azure_core::time::OffsetDateTime::now_utc())
                        .whole_seconds()
                        .max(0) as u64;
                    let fresh_for = Duration::from_secs(lifetime).saturating_sub(REFRESH_MARGIN);
                    let token = Secret::new(access.token.secret());
                    tracing::debug!(credential = name, "acquired ARM access token");
                    *cache = Some((token.clone(), Instant::now() + fresh_for));
                    return Ok(token);
                }
                Ok(Err(e)) => tried.push((name.to_string(), one_line(&e.to_string()))),
                Err(_) => tried.push((
                    name.to_string(),
                    format!("no answer within {}s", timeout.as_secs()),
                )),
            }
        }
        Err(ArmError::Auth { tried })
    }

    /// Forget the cached token (after a 401).
    pub(crate) async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    pub(crate) fn is_static(&self) -> bool {
        matches!(self.kind, Kind::Static(_))
    }
}

fn credential_name(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::ClientSecret => "ClientSecretCredential",
        AuthMethod::WorkloadIdentity => "WorkloadIdentityCredential",
        AuthMethod::ManagedIdentity => "ManagedIdentityCredential",
        AuthMethod::AzureCli => "AzureCliCredential",
        AuthMethod::Auto => "Auto",
        AuthMethod::Token => "Token",
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn require_env(name: &str) -> Result<String, String> {
    env(name).ok_or_else(|| format!("{name} is not set"))
}

/// Builds one credential; `Err(reason)` when its configuration is missing (no I/O happens here).
fn build_credential(
    method: AuthMethod,
    client_options: ClientOptions,
) -> Result<Arc<dyn TokenCredential>, String> {
    let err = |e: azure_core::Error| one_line(&e.to_string());
    match method {
        AuthMethod::ClientSecret => {
            let tenant = require_env("AZURE_TENANT_ID")?;
            let client = require_env("AZURE_CLIENT_ID")?;
            let secret = require_env("AZURE_CLIENT_SECRET")?;
            let options = ClientSecretCredentialOptions { client_options };
            let c = ClientSecretCredential::new(
                &tenant,
                client,
                azure_core::credentials::Secret::new(secret),
                Some(options),
            )
            .map_err(err)?;
            Ok(c)
        }
        AuthMethod::WorkloadIdentity => {
            let file = require_env("AZURE_FEDERATED_TOKEN_FILE")?;
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions { client_options },
                client_id: Some(require_env("AZURE_CLIENT_ID")?),
                tenant_id: Some(require_env("AZURE_TENANT_ID")?),
                token_file_path: Some(file.into()),
            };
            let c = WorkloadIdentityCredential::new(Some(options)).map_err(err)?;
            Ok(c)
        }
        AuthMethod::ManagedIdentity => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: env("AZURE_CLIENT_ID").map(UserAssignedId::ClientId),
                client_options,
            };
            let c = ManagedIdentityCredential::new(Some(options)).map_err(err)?;
            Ok(c)
        }
        AuthMethod::AzureCli => {
            let c = AzureCliCredential::new(None).map_err(err)?;
            Ok(c)
        }
        AuthMethod::Auto | AuthMethod::Token => Err("not a single credential".to_string()),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_methods_parse() {
        assert_eq!("auto".parse::<AuthMethod>().ok(), Some(AuthMethod::Auto));
        assert_eq!(
            "client-secret".parse::<AuthMethod>().ok(),
            Some(AuthMethod::ClientSecret)
        );
        assert_eq!(
            "Workload_Identity".parse::<AuthMethod>().ok(),
            Some(AuthMethod::WorkloadIdentity)
        );
        assert_eq!(
            "msi".parse::<AuthMethod>().ok(),
            Some(AuthMethod::ManagedIdentity)
        );
        assert_eq!("az".parse::<AuthMethod>().ok(), Some(AuthMethod::AzureCli));
        assert_eq!("token".parse::<AuthMethod>().ok(), Some(AuthMethod::Token));
        assert!("password".parse::<AuthMethod>().is_err());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let spec = CredentialSpec::static_token("eyJ-very-secret");
        let shown = format!("{spec:?} {}", Secret::new("eyJ-very-secret"));
        assert!(!shown.contains("eyJ-very-secret"), "{shown}");
    }

    #[tokio::test]
    async fn token_without_value_names_the_variable() {
        let spec = CredentialSpec {
            method: AuthMethod::Token,
            static_token: None,
        };
        let err = TokenSource::new(&spec, &Cloud::Public, reqwest::Client::new())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(ACCESS_TOKEN_ENV), "{err}");
    }
}
