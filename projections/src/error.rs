/// Why projecting or reading a read model failed. Never shown to users as such.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("event {position} ({event_type}) cannot be decoded: {reason}")]
    Decode { position: i64, event_type: String, reason: String },
    #[error("checkpoint of projection {0} was moved by another writer; is a second projector running?")]
    CheckpointMoved(String),
    #[error("export: {0}")]
    Export(String),
    #[error("the live read models are behind the event store; let the projector (serve) catch up and verify again")]
    LiveBehind,
    #[error("sealed personal data: {0}")]
    Sealed(String),
    #[error("another replay or verification is running on this database; wait for it to finish")]
    ReplayRunning,
    #[error("index {0} cannot be copied into the shadow schema: {1}")]
    IndexDefinition(String, String),
}

impl From<commands::Error> for Error {
    /// The vault's failures (a key that does not unwrap, a token that does not open).
    fn from(error: commands::Error) -> Self {
        Self::Sealed(error.to_string())
    }
}
