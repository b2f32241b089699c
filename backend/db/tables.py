"""Every table, scoped by `tenant_id` and `mode`; the Alembic migrations are the schema's history.

Balances live on the account row (posted and pending totals per side) so that a posting locks,
checks and updates a handful of rows; `entries` is the immutable journal those totals are the sum
of, which is what `as_of` balances and the invariant checks read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import AutoString, Field, SQLModel

# SQLite only auto-increments an `INTEGER PRIMARY KEY`; PostgreSQL gets a BIGINT identity.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")


def _money() -> Column:
    return Column(BigInteger, nullable=False, default=0)


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"
    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    created_at: datetime


class ApiKey(SQLModel, table=True):
    """An API key is stored only as its SHA-256; the key itself is shown once at creation."""

    __tablename__ = "api_keys"
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=40)
    mode: str = Field(max_length=10)
    key_hash: str = Field(unique=True, max_length=64)
    display_prefix: str = Field(max_length=24)
    created_at: datetime
    revoked_at: datetime | None = None


class Account(SQLModel, table=True):
    __tablename__ = "accounts"
    __table_args__ = (Index("ix_accounts_scope_created", "tenant_id", "mode", "created_at"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    customer: str = Field(max_length=200)
    currency: str = Field(max_length=3)
    account_type: str = Field(max_length=64)
    normal_balance: str = Field(max_length=6)
    allow_negative: bool = False
    status: str = Field(default="active", max_length=16)
    system_role: str | None = Field(default=None, max_length=32)
    created_at: datetime
    debits_posted: int = Field(sa_column=_money())
    credits_posted: int = Field(sa_column=_money())
    debits_pending: int = Field(sa_column=_money())
    credits_pending: int = Field(sa_column=_money())


class Posting(SQLModel, table=True):
    """An immutable posting; corrections, resolutions of pending postings and reversals are new rows."""

    __tablename__ = "postings"
    __table_args__ = (Index("ix_postings_scope_created", "tenant_id", "mode", "created_at"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    kind: str = Field(max_length=16)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    pending_posting_id: str | None = Field(default=None, max_length=40, index=True)
    reverses_posting_id: str | None = Field(default=None, max_length=40, unique=True)
    correlation_id: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    metadata_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    reason: str | None = Field(default=None, max_length=500)
    entry_hash: str = Field(max_length=64)
    created_at: datetime


class PendingPosting(SQLModel, table=True):
    """Lifecycle of a pending posting: resolved once (posted, voided or expired), guarded by `status`."""

    __tablename__ = "pending_postings"
    __table_args__ = (Index("ix_pending_due", "status", "expires_at"),)
    posting_id: str = Field(primary_key=True, foreign_key="postings.id", max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    status: str = Field(default="pending", max_length=10)
    expires_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution_posting_id: str | None = Field(default=None, max_length=40)
    posted_amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Entry(SQLModel, table=True):
    """One signed movement of one account's posted or pending bucket, effective at `effective_at`."""

    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_account_effective", "account_id", "effective_at"),
        Index("ix_entries_scope_currency", "tenant_id", "mode", "currency"),
    )
    seq: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    posting_id: str = Field(foreign_key="postings.id", index=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    account_id: str = Field(foreign_key="accounts.id", max_length=40)
    currency: str = Field(max_length=3)
    direction: str = Field(max_length=6)
    bucket: str = Field(max_length=7)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    effective_at: datetime


class Hold(SQLModel, table=True):
    """The operator's view of a pending posting that reserves an account's funds."""

    __tablename__ = "holds"
    __table_args__ = (
        Index("ix_holds_scope_account", "tenant_id", "mode", "account_id", "created_at"),
        Index("ix_holds_scope_expiring", "tenant_id", "mode", "status", "expires_at"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    account_id: str = Field(foreign_key="accounts.id", max_length=40)
    posting_id: str = Field(foreign_key="postings.id", unique=True, max_length=40)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    captured_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    reason: str = Field(max_length=500)
    source_request: str = Field(max_length=200)
    status: str = Field(default="active", max_length=10)
    expires_at: datetime
    created_at: datetime
    updated_at: datetime


class HoldAction(SQLModel, table=True):
    """Every change of a hold, with its reason and the request that asked for it."""

    __tablename__ = "hold_actions"
    seq: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    hold_id: str = Field(foreign_key="holds.id", index=True, max_length=40)
    action: str = Field(max_length=10)
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reason: str | None = Field(default=None, max_length=500)
    source_request: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = None
    posting_id: str | None = Field(default=None, max_length=40)
    at: datetime


class IdempotencyRecord(SQLModel, table=True):
    """The first response to an idempotency key, replayed byte for byte."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "mode", "endpoint", "key", name="uq_idempotency_scope"), Index("ix_idempotency_scope_key", "tenant_id", "mode", "key"))
    id: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    endpoint: str = Field(max_length=200)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(index=True)


class Event(SQLModel, table=True):
    """The outbox: written in the transaction of the change it describes, relayed to JetStream later."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_scope_seq", "tenant_id", "mode", "seq"),
        Index("ix_events_object", "tenant_id", "mode", "object_id", "seq"),
        # The relay's queue: only the events not yet published, so finding the next batch costs
        # the same however long the log grows.
        Index("ix_events_unpublished", "seq", sqlite_where=text("published_at IS NULL"), postgresql_where=text("published_at IS NULL")),
    )
    seq: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    id: str = Field(unique=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    type: str = Field(max_length=64)
    object_id: str = Field(max_length=40)
    data_json: str = Field(sa_column=Column(Text, nullable=False))
    correlation_id: str | None = Field(default=None, max_length=200)
    occurred_at: datetime
    published_at: datetime | None = None


class Operator(SQLModel, table=True):
    """A person who signs in to the operations room; the password is kept only as an Argon2id hash."""

    __tablename__ = "operators"
    id: str = Field(primary_key=True, max_length=40)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    created_at: datetime
    disabled_at: datetime | None = None


class OperatorMembership(SQLModel, table=True):
    """An operator's role in one tenant (the same role in both of its modes)."""

    __tablename__ = "operator_memberships"
    operator_id: str = Field(foreign_key="operators.id", primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    role: str = Field(max_length=16)
    created_at: datetime


class OperatorSession(SQLModel, table=True):
    """A signed session token's id, so sign-out revokes the token before it expires."""

    __tablename__ = "operator_sessions"
    id: str = Field(primary_key=True, max_length=40)
    operator_id: str = Field(foreign_key="operators.id", index=True, max_length=40)
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class AuditRecord(SQLModel, table=True):
    """One audit record, written unsealed in the transaction of what it records.

    `chain` is the tenant id (or `platform` for attempts no tenant can be named for). `seq`,
    `prev_hash` and `hash` stay null until the sealer links the record into its chain after
    commit, so chaining never serialises a tenant's writes on the request path. The filter
    indexes end in `id`, not `seq`, so sealing (which sets `seq`) rewrites only two index entries.
    """

    __tablename__ = "audit_records"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),
        Index("ix_audit_unsealed", "chain", "id", sqlite_where=text("seq IS NULL"), postgresql_where=text("seq IS NULL")),
        Index("ix_audit_object", "chain", "object_id", "id"),
        Index("ix_audit_actor", "chain", "actor", "id"),
        Index("ix_audit_action", "chain", "action", "id"),
        Index("ix_audit_time", "chain", "occurred_at"),
    )
    id: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    chain: str = Field(max_length=40)
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    tenant_id: str | None = Field(default=None, max_length=40)
    mode: str | None = Field(default=None, max_length=10)
    actor: str = Field(max_length=80)
    role: str = Field(max_length=16)
    action: str = Field(max_length=64)
    object_id: str | None = Field(default=None, max_length=80)
    scope: str = Field(max_length=200)
    policy_json: str = Field(sa_column=Column(Text, nullable=False))
    detail_json: str = Field(sa_column=Column(Text, nullable=False))
    request_id: str | None = Field(default=None, max_length=40)
    occurred_at: datetime
    record_digest: str = Field(max_length=64)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditChain(SQLModel, table=True):
    """A chain's sealed head and its verifier's last verdict."""

    __tablename__ = "audit_chains"
    chain: str = Field(primary_key=True, max_length=40)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    hash: str = Field(max_length=64)
    verified_seq: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    verified_at: datetime | None = None
    broken_seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    broken_reason: str | None = Field(default=None, max_length=300)


class Provider(SQLModel, table=True):
    """A payment provider registered in one tenant and mode; its callbacks prove themselves by
    signature. The signing secret is kept as issued because an HMAC is checked with the key itself;
    during a rotation the previous secret also verifies until `previous_secret_expires_at`."""

    __tablename__ = "providers"
    __table_args__ = (Index("ix_providers_scope_created", "tenant_id", "mode", "created_at"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    name: str = Field(max_length=200)
    signing_secret: str = Field(max_length=80)
    previous_secret: str | None = Field(default=None, max_length=80)
    previous_secret_expires_at: datetime | None = None
    created_at: datetime
    rotated_at: datetime | None = None
    kind: str = Field(default="external", sa_column=Column(AutoString(10), nullable=False, server_default="external"))
    endpoint_url: str | None = Field(default=None, max_length=500)
    behaviour_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    consecutive_failures: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    unhealthy_until: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    report_mapping_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ProviderCallback(SQLModel, table=True):
    """Every verified callback a provider sent, with its outcome and why.

    The first receipt of a `webhook_id` is unique per provider (copies point to it through
    `duplicate_of`), so a message applies at most once however many copies race in.
    """

    __tablename__ = "provider_callbacks"
    __table_args__ = (
        Index("uq_provider_callbacks_first", "provider_id", "webhook_id", unique=True, sqlite_where=text("duplicate_of IS NULL"), postgresql_where=text("duplicate_of IS NULL")),
        Index("ix_provider_callbacks_reference", "provider_id", "reference", "sequence"),
        Index("ix_provider_callbacks_received", "provider_id", "received_at"),
    )
    id: str = Field(primary_key=True, max_length=40)
    provider_id: str = Field(foreign_key="providers.id", max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    webhook_id: str = Field(max_length=255)
    duplicate_of: str | None = Field(default=None, max_length=40)
    type: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=64)
    sequence: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    occurred_at: datetime | None = None
    received_at: datetime
    outcome: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)


class WebhookEndpoint(SQLModel, table=True):
    """Where a tenant's events go in one mode, which types, and how they are signed.

    `failing_since` is the first failed attempt since the last success: an endpoint that has
    failed for the whole disable window is disabled."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_scope", "tenant_id", "mode", "created_at"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    event_types_json: str = Field(sa_column=Column(Text, nullable=False))
    signing: str = Field(max_length=8)
    rate_limit: int | None = None
    status: str = Field(default="enabled", max_length=10)
    disabled_reason: str | None = Field(default=None, max_length=200)
    disabled_at: datetime | None = None
    failing_since: datetime | None = None
    created_at: datetime
    updated_at: datetime


class WebhookSecret(SQLModel, table=True):
    """An endpoint's signing key (`whsec_` or `whsk_`); a rotated-out key keeps signing until
    `expires_at` (the overlap window), the current one has none."""

    __tablename__ = "webhook_secrets"
    id: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", index=True, max_length=40)
    secret: str = Field(max_length=100)
    public_key: str | None = Field(default=None, max_length=100)
    created_at: datetime
    expires_at: datetime | None = None


class WebhookMessage(SQLModel, table=True):
    """One event for one endpoint: `id` is the `webhook-id` header, `body` the exact bytes signed
    on every attempt, `step` the attempts made in the current run of the retry schedule."""

    __tablename__ = "webhook_messages"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_messages_event"),
        Index("ix_webhook_messages_endpoint", "endpoint_id", "event_occurred_at"),
        Index("ix_webhook_messages_due", "endpoint_id", "status", "next_attempt_at"),
        Index("ix_webhook_messages_event", "event_id"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    endpoint_id: str = Field(foreign_key="webhook_endpoints.id", max_length=40)
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=64)
    event_occurred_at: datetime
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=10)
    step: int = 0
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    created_at: datetime


class WebhookAttempt(SQLModel, table=True):
    """Every delivery attempt, kept: outcome, timing, the receiver's answer and what comes next."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint", "endpoint_id", "attempted_at"), Index("ix_webhook_attempts_message", "message_id", "attempted_at"))
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    endpoint_id: str = Field(max_length=40)
    message_id: str = Field(foreign_key="webhook_messages.id", max_length=40)
    attempt: int
    attempted_at: datetime
    status: str = Field(max_length=10)
    duration_ms: int
    response_code: int | None = None
    error_kind: str | None = Field(default=None, max_length=12)
    error: str | None = Field(default=None, max_length=300)
    response_excerpt: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = None


class PolicyVersion(SQLModel, table=True):
    """One published version of a tenant's policy rules (per mode); versions are never edited,
    so an intent's decision names the exact rules it was judged by."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "mode", "version", name="uq_policy_versions_version"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    version: int
    rules_json: str = Field(sa_column=Column(Text, nullable=False))
    note: str | None = Field(default=None, max_length=500)
    created_by: str = Field(max_length=80)
    created_at: datetime


class Route(SQLModel, table=True):
    """A corridor's providers in priority order (`*` is the corridor every other one falls back to)."""

    __tablename__ = "routes"
    __table_args__ = (UniqueConstraint("tenant_id", "mode", "corridor", name="uq_routes_corridor"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    corridor: str = Field(max_length=16)
    provider_ids_json: str = Field(sa_column=Column(Text, nullable=False))
    updated_by: str = Field(max_length=80)
    updated_at: datetime


class Intent(SQLModel, table=True):
    """A financial intent on its way from `accepted` to `evidenced`.

    `id` is internal and global (providers reference it in callbacks); `intent_id` is the public id,
    unique within a tenant and mode. `next_action_at` is when a background worker next owes the
    intent something (routing it, checking its evidence), NULL when nothing is due.
    """

    __tablename__ = "intents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mode", "intent_id", name="uq_intents_public_id"),
        Index("ix_intents_scope_created", "tenant_id", "mode", "created_at"),
        Index("ix_intents_scope_status", "tenant_id", "mode", "status", "created_at"),
        Index("ix_intents_source_created", "tenant_id", "mode", "source_account_id", "created_at"),
        Index("ix_intents_due", "status", "next_action_at", sqlite_where=text("next_action_at IS NOT NULL"), postgresql_where=text("next_action_at IS NOT NULL")),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    intent_id: str = Field(max_length=80)
    kind: str = Field(max_length=24)
    status: str = Field(max_length=16)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    source_account_id: str = Field(max_length=40)
    destination: str = Field(max_length=200)
    destination_account_id: str | None = Field(default=None, max_length=40)
    counterparty: str = Field(max_length=200)
    corridor: str = Field(max_length=16)
    scope_label: str = Field(max_length=80)
    money_model: str = Field(max_length=80)
    primitives_json: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=80)
    created_role: str = Field(max_length=20)
    policy_version: int | None = None
    decision_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    hold_id: str | None = Field(default=None, max_length=40)
    postings_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    provider_id: str | None = Field(default=None, max_length=40)
    routing_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    failure_code: str | None = Field(default=None, max_length=40)
    failure_message: str | None = Field(default=None, max_length=500)
    revision: int = 1
    next_action_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class IntentTransition(SQLModel, table=True):
    """Every state an intent entered, in order, with who moved it and why. The scope, currency and
    amount are copied from the intent so state volume over time is one indexed range scan."""

    __tablename__ = "intent_transitions"
    __table_args__ = (Index("ix_intent_transitions_intent", "intent_row_id", "seq"), Index("ix_intent_transitions_scope_at", "tenant_id", "mode", "at"))
    seq: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    intent_row_id: str = Field(foreign_key="intents.id", max_length=40)
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    event_type: str = Field(max_length=64)
    actor: str = Field(max_length=80)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime


class Review(SQLModel, table=True):
    """An intent that policy sent to a person, until someone decides it."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_scope_status", "tenant_id", "mode", "status", "created_at"),
        Index("ix_reviews_scope_assignee", "tenant_id", "mode", "status", "assignee"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    intent_row_id: str = Field(foreign_key="intents.id", unique=True, max_length=40)
    intent_id: str = Field(max_length=80)
    reason: str = Field(max_length=64)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    created_by: str = Field(max_length=80)
    required_approvals: int = 1
    status: str = Field(default="open", max_length=10)
    assignee: str | None = Field(default=None, max_length=80)
    assigned_at: datetime | None = None
    due_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = Field(default=None, max_length=80)
    decision_code: str | None = Field(default=None, max_length=40)
    decision_note: str | None = Field(default=None, max_length=500)
    created_at: datetime


class ReviewApproval(SQLModel, table=True):
    """One person's approval, bound to the hash of the intent they saw."""

    __tablename__ = "review_approvals"
    __table_args__ = (UniqueConstraint("review_id", "approver", name="uq_review_approvals_approver"),)
    seq: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    review_id: str = Field(foreign_key="reviews.id", max_length=40)
    approver: str = Field(max_length=80)
    role: str = Field(max_length=20)
    reviewed_hash: str = Field(max_length=64)
    reason_code: str = Field(max_length=40)
    at: datetime


class SavedFilter(SQLModel, table=True):
    """A filter an operator saved in a room, per tenant and mode, to apply again in one click."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("operator_id", "tenant_id", "mode", "room", "name", name="uq_saved_filters_name"),)
    id: str = Field(primary_key=True, max_length=40)
    operator_id: str = Field(foreign_key="operators.id", max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    room: str = Field(max_length=20)
    name: str = Field(max_length=60)
    query_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime


class SandboxTraffic(SQLModel, table=True):
    """The sandbox traffic generator's dial for one tenant: running or paused, its rate, and where
    its seeded sequence stands. Intents are due while running at `rate_per_minute` counted from
    (`anchor_at`, `anchor_sequence`), which move whenever the dial does, so a rate change never
    replays the past and a restart never bursts to catch up."""

    __tablename__ = "sandbox_traffic"
    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    running: bool = False
    rate_per_minute: int
    seed: int
    sequence: int = 0
    anchor_at: datetime
    anchor_sequence: int = 0
    updated_at: datetime
    updated_by: str = Field(max_length=80)


class SandboxReceiver(SQLModel, table=True):
    """A webhook consumer the sandbox plays (`backend.sandbox.receivers`): the status it answers
    and what it received. A row, so every serving process answers the same way and a rehearsal's
    outage survives whichever worker a delivery reaches."""

    __tablename__ = "sandbox_receivers"
    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    name: str = Field(primary_key=True, max_length=40)
    status: int = 200
    received: int = 0
    answered_ok: int = 0
    updated_at: datetime


class SandboxScenarioRun(SQLModel, table=True):
    """One rehearsal of a failure scenario asked for from the sandbox room or the API: `queued`
    until a serving process's scenario worker claims it, `running` while it plays over HTTP, then
    `passed` or `failed` with its verdict (checks and the evidence ids it kept), or `interrupted`
    when the process playing it stopped. At most one run of a scenario per tenant is active at a
    time: two copies would rehearse on the same corridor and read each other's results."""

    __tablename__ = "sandbox_scenario_runs"
    __table_args__ = (
        Index("ix_scenario_runs_scope_created", "tenant_id", "mode", "created_at"),
        Index("ix_scenario_runs_status", "status", "created_at"),
        Index("uq_scenario_runs_active", "tenant_id", "mode", "scenario", unique=True, sqlite_where=text("status IN ('queued', 'running')"), postgresql_where=text("status IN ('queued', 'running')")),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    scenario: str = Field(max_length=40)
    status: str = Field(max_length=12)
    requested_by: str = Field(max_length=80)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    verdict_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReconciliationRun(SQLModel, table=True):
    """One reconciliation of a provider: an imported settlement report (`source` import), or the
    day's settlements as callbacks record them (`source` continuous, one run per provider and day).
    `match_rate_bp` is matched / (lines + settlements missing from the report), in basis points."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (
        Index("ix_recon_runs_scope_created", "tenant_id", "mode", "created_at"),
        Index("ix_recon_runs_scope_provider", "tenant_id", "mode", "provider_id", "created_at"),
        Index("uq_recon_runs_continuous_day", "tenant_id", "mode", "provider_id", "period_start", unique=True, sqlite_where=text("source = 'continuous'"), postgresql_where=text("source = 'continuous'")),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    provider_id: str = Field(foreign_key="providers.id", max_length=40)
    source: str = Field(max_length=12)
    file_name: str | None = Field(default=None, max_length=200)
    file_sha256: str | None = Field(default=None, max_length=64)
    period_start: date | None = None
    period_end: date | None = None
    tolerance_days: int = 0
    line_count: int = 0
    matched_count: int = 0
    exception_count: int = 0
    match_rate_bp: int = 0
    counts_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=80)
    created_at: datetime
    completed_at: datetime | None = None


class ReconciliationLine(SQLModel, table=True):
    """One line of an imported report, as parsed (amount in minor units) and as written (`raw`)."""

    __tablename__ = "reconciliation_lines"
    run_id: str = Field(foreign_key="reconciliation_runs.id", primary_key=True, max_length=40)
    line_no: int = Field(primary_key=True)
    reference: str = Field(max_length=64)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    value_date: date
    counterparty: str | None = Field(default=None, max_length=200)
    outcome: str = Field(max_length=20)
    raw: str = Field(sa_column=Column(Text, nullable=False))


class ReconciliationSettlement(SQLModel, table=True):
    """What the ledger expects a provider to report: one settlement of an intent through that
    provider's callback. `status` is `new` until the continuous matcher has looked at it, then
    `unmatched` or `matched`."""

    __tablename__ = "reconciliation_settlements"
    __table_args__ = (
        UniqueConstraint("posting_id", name="uq_recon_settlements_posting"),
        Index("ix_recon_settlements_period", "tenant_id", "mode", "provider_id", "value_date"),
        Index("ix_recon_settlements_reference", "provider_id", "reference"),
        Index("ix_recon_settlements_new", "recorded_at", sqlite_where=text("status = 'new'"), postgresql_where=text("status = 'new'")),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    provider_id: str = Field(max_length=40)
    reference: str = Field(max_length=64)
    intent_id: str = Field(max_length=80)
    posting_id: str = Field(max_length=40)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    counterparty: str = Field(max_length=200)
    settled_at: datetime
    value_date: date
    status: str = Field(default="new", max_length=10)
    matched_run_id: str | None = Field(default=None, max_length=40)
    recorded_at: datetime


class ReconciliationMatch(SQLModel, table=True):
    """A report line matched to a settlement; a one-to-many match is several rows sharing `group_no`."""

    __tablename__ = "reconciliation_matches"
    __table_args__ = (Index("ix_recon_matches_run_line", "run_id", "line_no"), Index("ix_recon_matches_settlement", "settlement_id"))
    seq: int | None = Field(default=None, sa_column=Column(SEQ_TYPE, primary_key=True, autoincrement=True))
    tenant_id: str = Field(max_length=40)
    mode: str = Field(max_length=10)
    run_id: str = Field(foreign_key="reconciliation_runs.id", max_length=40)
    line_no: int
    settlement_id: str = Field(foreign_key="reconciliation_settlements.id", max_length=40)
    method: str = Field(max_length=16)
    group_no: int
    matched_at: datetime


class ReconciliationException(SQLModel, table=True):
    """A mismatch waiting for finance: its reason, the line and/or settlement behind it, and how it
    was resolved (once)."""

    __tablename__ = "reconciliation_exceptions"
    __table_args__ = (
        Index("ix_recon_exceptions_scope_status", "tenant_id", "mode", "status", "created_at"),
        Index("ix_recon_exceptions_scope_reason", "tenant_id", "mode", "reason", "status", "created_at"),
        Index("ix_recon_exceptions_run", "run_id", "status"),
        Index("ix_recon_exceptions_reference", "provider_id", "reference", "status"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    run_id: str = Field(foreign_key="reconciliation_runs.id", max_length=40)
    provider_id: str = Field(max_length=40)
    reason: str = Field(max_length=20)
    reference: str = Field(max_length=64)
    line_no: int | None = None
    settlement_id: str | None = Field(default=None, max_length=40)
    report_amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    ledger_amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str = Field(max_length=3)
    detail: str = Field(max_length=500)
    status: str = Field(default="open", max_length=10)
    resolution: str | None = Field(default=None, max_length=20)
    resolved_by: str | None = Field(default=None, max_length=80)
    resolved_at: datetime | None = None
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime



class Customer(SQLModel, table=True):
    """A tenant's customer as compliance knows them: the name screened and the KYC status that
    intents from their accounts are judged by. `customer` is the string accounts carry."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "mode", "customer", name="uq_customers_customer"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    customer: str = Field(max_length=200)
    name: str = Field(max_length=200)
    kyc_status: str = Field(max_length=16)
    created_at: datetime
    updated_at: datetime
    updated_by: str = Field(max_length=80)


class ScreeningList(SQLModel, table=True):
    """One version of a named screening list, loaded whole from CSV and never edited: replacing a
    list loads the next version, so the entries a past match names stay as they were."""

    __tablename__ = "screening_lists"
    __table_args__ = (UniqueConstraint("tenant_id", "mode", "name", "version", name="uq_screening_lists_version"),)
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    name: str = Field(max_length=80)
    source: str = Field(max_length=200)
    version: int
    entry_count: int
    loaded_at: datetime
    loaded_by: str = Field(max_length=80)


class ScreeningEntry(SQLModel, table=True):
    """A name on a list version; `aliases_json` holds `[{"name", "normalised"}]`."""

    __tablename__ = "screening_entries"
    __table_args__ = (Index("ix_screening_entries_list", "list_id", "line"),)
    id: str = Field(primary_key=True, max_length=40)
    list_id: str = Field(foreign_key="screening_lists.id", max_length=40)
    line: int
    name: str = Field(max_length=200)
    normalised: str = Field(max_length=200)
    aliases_json: str = Field(sa_column=Column(Text, nullable=False))
    country: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=100)


class ScreeningResult(SQLModel, table=True):
    """A list entry an intent's counterparty matched, and compliance's decision on it: `pending`,
    `cleared`, `confirmed`, or `closed` (the intent ended before anyone decided)."""

    __tablename__ = "screening_results"
    __table_args__ = (
        Index("ix_screening_results_intent", "intent_row_id", "created_at"),
        Index("ix_screening_results_scope_decision", "tenant_id", "mode", "decision", "created_at"),
    )
    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    mode: str = Field(max_length=10)
    intent_row_id: str = Field(foreign_key="intents.id", max_length=40)
    intent_id: str = Field(max_length=80)
    list_id: str = Field(foreign_key="screening_lists.id", max_length=40)
    entry_id: str = Field(foreign_key="screening_entries.id", max_length=40)
    screened_name: str = Field(max_length=200)
    matched_name: str = Field(max_length=200)
    score: int
    method: str = Field(max_length=8)
    decision: str = Field(default="pending", max_length=10)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = None
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime
