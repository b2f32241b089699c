"""Events: the transactional outbox every state change writes to."""
