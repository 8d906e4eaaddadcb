//! Secrets (passwords and OAuth access tokens) for the mailbox and the mail server: where they
//! come from (a command, a file, an environment variable) and a type whose `Debug` never shows
//! the value. Used by the IMAP source, the SMTP transport and `check-config`.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A password or access token. Its `Debug` never shows the value.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The value, for handing to the server and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where a secret comes from, in order of precedence: a command (printing an OAuth access token),
/// a file (first line), an environment variable. The error names the source, never the value.
pub async fn resolve_secret(
    env_var: &str,
    file: Option<&Path>,
    command: Option<&str>,
) -> Result<Secret, SecretError> {
    if let Some(command) = command {
        let run = tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .map_err(|_| SecretError::Command("timed out after 60 s".into()))?
            .map_err(|e| SecretError::Command(e.to_string()))?;
        if !out.status.success() {
            // Its first line of stderr says why (a token command never prints the secret there).
            let why = String::from_utf8_lossy(&out.stderr);
            let why = crate::clean::line(why.lines().next().unwrap_or("").trim(), 300);
            return Err(SecretError::Command(if why.is_empty() {
                format!("exited with {}", out.status)
            } else {
                format!("exited with {}: {why}", out.status)
            }));
        }
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if token.is_empty() {
            return Err(SecretError::Command("printed nothing".into()));
        }
        return Ok(Secret(token));
    }
    if let Some(file) = file {
        let text = tokio::fs::read_to_string(file)
            .await
            .map_err(|e| SecretError::File(file.to_path_buf(), e.to_string()))?;
        let first = text.lines().next().unwrap_or("").trim_end_matches('\r');
        if first.is_empty() {
            return Err(SecretError::File(file.to_path_buf(), "is empty".into()));
        }
        return Ok(Secret(first.to_owned()));
    }
    match std::env::var(env_var) {
        Ok(v) if !v.is_empty() => Ok(Secret(v)),
        _ => Err(SecretError::Env(env_var.to_owned())),
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {0} is not set")]
    Env(String),
    #[error("failed to read secret file {0:?}: {1}")]
    File(PathBuf, String),
    #[error("the token command failed: {0}")]
    Command(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Secret("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn secrets_come_from_command_then_file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\nignored\n").unwrap();
        let unset = "INTAKE_TEST_SURELY_UNSET_VARIABLE";
        let s = resolve_secret(unset, Some(&file), Some("echo from-command"))
            .await
            .unwrap();
        assert_eq!(s.expose(), "from-command");
        let s = resolve_secret(unset, Some(&file), None).await.unwrap();
        assert_eq!(s.expose(), "from-file");
        let err = resolve_secret(unset, None, None).await.unwrap_err();
        assert!(err.to_string().contains(unset));
        let err = resolve_secret(unset, None, Some("exit 3"))
            .await
            .unwrap_err();
        assert!(matches!(err, SecretError::Command(_)));
    }
}
