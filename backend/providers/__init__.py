"""Payment providers: who they are (registry), how their callbacks prove themselves
(verification), and how a callback changes state at most once (callbacks, with a handler per
callback type in handlers)."""
