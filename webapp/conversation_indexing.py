"""Keeps the conversation index (clinic/conversation_index.py) up to date
while the web app runs: the live pages of the console see a patient's message
within about a second of Rasa storing it."""
import asyncio
import logging

from clinic.conversation_index import ConversationIndex

logger = logging.getLogger(__name__)
EVERY_SECONDS = 1


async def keep_conversations_indexed(index: ConversationIndex) -> None:
    while True:
        try:
            await asyncio.to_thread(index.index_new_events)
        except Exception:  # keep going; the next round retries
            logger.exception("Indexing new conversation events failed")
        await asyncio.sleep(EVERY_SECONDS)
