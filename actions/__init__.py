"""Custom actions of the clinic assistant, split by topic.

rasa_sdk registers every concrete Action subclass it imports, so each module
is imported here.
"""
from actions import answers, callback, clarification, greeting, handoff  # noqa: F401
