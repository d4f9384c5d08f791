"""The clinic's contact details, from settings/clinic.yml."""
from rasa_sdk.executor import CollectingDispatcher

from clinic import settings


def utter_clinic_contact(dispatcher: CollectingDispatcher) -> None:
    contact = settings.clinic_contact()
    dispatcher.utter_message(
        response="utter_clinic_contact",
        phone=contact.phone,
        email=contact.email,
        hours=contact.hours,
    )
