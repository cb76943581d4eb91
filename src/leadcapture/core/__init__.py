"""The pure capture rules: no I/O, no clock, no id generation, no randomness.

Time and new ids are passed in. Only the standard library, msgspec and returns are imported here, and an
import-linter contract keeps it so.
"""
