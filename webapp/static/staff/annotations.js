// Annotation controls for the patient's messages that arrive while an editor
// has the transcript open (templates/staff/annotation_macros.html): the page
// came with controls for the messages it had; transcript.js adds later ones,
// and this adds a copy of <template id="annotation-template"> to each.
const transcript = document.getElementById('transcript');
const template = document.getElementById('annotation-template');

function addControls(entry) {
  // A patient's answer to a form's question (a name, a phone number) is not annotated.
  if (!entry.classList.contains('entry--patient') || entry.dataset.formAnswer
    || entry.querySelector('.annotations')) return;
  const eventId = entry.dataset.eventId;
  const controls = template.content.firstElementChild.cloneNode(true);
  // The copy was made for event id 0: its ids (and labels' for) end in "-0".
  for (const element of controls.querySelectorAll('[id]')) element.id = element.id.replace(/-0$/, `-${eventId}`);
  controls.id = `annotations-${eventId}`;
  for (const label of controls.querySelectorAll('label[for]')) label.htmlFor = label.htmlFor.replace(/-0$/, `-${eventId}`);
  controls.querySelector('input[name="event_id"]').value = eventId;
  entry.append(controls);
}

if (transcript && template) {
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) if (node instanceof HTMLElement) addControls(node);
    }
  }).observe(transcript, { childList: true });
}
