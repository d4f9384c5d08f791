"""Requests nobody claims in time get a callback offer in the patient's chat.

Never an urgent one: a patient who reported an emergency has been told to call
emergency services and what the clinic will do; their request stays at the top
of the queue until a member of staff deals with it (HandoffStore.unclaimed_since
and mark_callback_offered leave urgent requests alone)."""
import asyncio
import logging
from datetime import timedelta

from clinic import settings
from clinic.database import utc_now
from clinic.handoff_store import HandoffStore
from clinic.rasa_api import RasaApi

logger = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 15  # at most; short timeouts are checked more often


async def offer_callbacks_for_unclaimed(store: HandoffStore, rasa: RasaApi,
                                        timeout: timedelta) -> int:
    """Resume each conversation waiting longer than `timeout` with a callback offer."""
    offered = 0
    for request in store.unclaimed_since(utc_now() - timeout):
        if not store.mark_callback_offered(request["id"]):
            continue  # claimed, cancelled or made urgent meanwhile
        await rasa.resume(request["conversation_id"])
        await rasa.trigger_intent(request["conversation_id"], "EXTERNAL_offer_callback")
        offered += 1
    return offered


async def watch_claim_timeouts(store: HandoffStore, rasa: RasaApi) -> None:
    while True:
        # Read each round, so a changed setting applies without a restart.
        timeout = timedelta(minutes=settings.handoff_settings().claim_timeout_minutes)
        try:
            await offer_callbacks_for_unclaimed(store, rasa, timeout)
        except Exception:  # keep watching; the next round retries
            logger.exception("Offering callbacks for unclaimed handoff requests failed")
        await asyncio.sleep(min(CHECK_EVERY_SECONDS, timeout.total_seconds() / 2))
