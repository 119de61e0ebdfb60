"""Loaders: one per input format, each turning decoded text into a :class:`LoadedDocument`."""
