//! Persistence: the whole state as one JSON file, written atomically (temp file, then rename)
//! after every change, before the response is sent.

use std::io::Write;
use std::path::Path;

use super::State;
use crate::EmulatorError;

/// Read the state file; a missing file is an empty state.
pub fn load(path: &Path) -> Result<State, EmulatorError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| EmulatorError::ParseState {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(source) => Err(EmulatorError::ReadState {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Write the state file atomically.
pub fn save(path: &Path, state: &State) -> Result<(), EmulatorError> {
    let bytes = encode(path, state)?;
    write(path, &bytes)
}

/// The state file's bytes (done under the state lock; [`write`] can then run without it).
pub fn encode(path: &Path, state: &State) -> Result<Vec<u8>, EmulatorError> {
    serde_json::to_vec(state).map_err(|e| EmulatorError::WriteState {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })
}

/// Replace the state file with `bytes` atomically.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), EmulatorError> {
    let err = |source| EmulatorError::WriteState {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    {
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        // No fsync: the rename is atomic for process crashes, which is what a local
        // emulator needs; an fsync per change cost ~3 ms (330 changes/s, see BENCHMARKS.md).
    }
    std::fs::rename(&tmp, path).map_err(err)
}
