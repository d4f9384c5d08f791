"""Ten patient questions about one treatment, one per topic of its page: the
messages of the scaled deployment's load test and the load benchmark."""

QUESTIONS = [
    "What is prolotherapy?",
    "What conditions does prolotherapy treat?",
    "How does prolotherapy work?",
    "What are the benefits of prolotherapy?",
    "How long does a prolotherapy session take?",
    "What results can I expect from prolotherapy?",
    "Does prolotherapy hurt?",
    "Is prolotherapy right for me?",
    "What if prolotherapy doesn't help?",
    "What happens during prolotherapy?",
]
