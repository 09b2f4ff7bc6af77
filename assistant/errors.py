"""The one exception family a person may see: its message says what happened and what to do."""


class AssistantError(Exception):
    """A failure with a message fit to show to a user (no stack trace needed)."""


class ReadError(AssistantError):
    """A file that cannot be read as a document."""


class IndexMissing(AssistantError):
    """The index has not been built yet."""


class StoreUnavailable(AssistantError):
    """The Chroma server cannot be reached (server mode). `registering` names the document whose registry
    record was being written when it went: the server may have stored it before it went, or not."""

    def __init__(self, message: str, registering: str = ""):
        super().__init__(message)
        self.registering = registering


class IndexBusy(AssistantError):
    """Another process is changing the embedded index under this one; asking again will work."""


class SettingError(AssistantError):
    """A setting's environment variable holds a value it cannot use."""


class RegistryDamaged(AssistantError):
    """The document registry cannot be read; nothing is changed until it is put right."""


class IngestStopped(AssistantError):
    """An ingest that stopped part way: the message says which documents were done and which were not."""
