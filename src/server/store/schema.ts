// One schema for both stores. Migrations only ever append: a deployed database has run the earlier ones.
export const migrations: readonly string[] = [
  `
  create table tma_pay_orders (
    id text primary key,
    user_id bigint not null,
    product_id text not null,
    title text not null,
    description text not null,
    photo_url text,
    quantity integer not null,
    amount bigint not null,
    currency text not null,
    status text not null,
    invoice_url text not null,
    metadata jsonb not null default '{}',
    telegram_payment_charge_id text,
    subscription jsonb,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    paid_at timestamptz,
    refunded_at timestamptz,
    expires_at timestamptz not null
  );
  create index tma_pay_orders_user_idx on tma_pay_orders (user_id, id desc);
  create index tma_pay_orders_open_expiry_idx on tma_pay_orders (expires_at)
    where status in ('created', 'pending', 'processing', 'cancelled');

  create table tma_pay_order_events (
    seq bigserial primary key,
    order_id text not null references tma_pay_orders (id),
    at timestamptz not null,
    status text not null,
    source text not null,
    detail jsonb not null default '{}'
  );
  create index tma_pay_order_events_order_idx on tma_pay_order_events (order_id, seq);

  create table tma_pay_idempotency_keys (
    user_id bigint not null,
    key text not null,
    request_hash text not null,
    order_id text not null,
    completed boolean not null default false,
    created_at timestamptz not null default now(),
    primary key (user_id, key)
  );

  -- One row per charge Telegram made: the primary key is what makes a redelivered
  -- successful_payment a no-op.
  create table tma_pay_payments (
    telegram_payment_charge_id text primary key,
    order_id text references tma_pay_orders (id),
    user_id bigint not null,
    amount bigint not null,
    currency text not null,
    invoice_payload text not null,
    provider_payment_charge_id text,
    source text not null,
    received_at timestamptz not null default now()
  );

  -- Fulfilment outbox: written in the payment's transaction, so onPaid cannot be lost, and
  -- unique per order and type, so it cannot run for a second event.
  create table tma_pay_outbox (
    id text primary key,
    order_id text not null references tma_pay_orders (id),
    type text not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    locked_until timestamptz,
    done_at timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    unique (order_id, type)
  );
  create index tma_pay_outbox_due_idx on tma_pay_outbox (next_attempt_at) where done_at is null;
  `,
  // A refund being asked of Telegram: set while one request calls refundStarPayment, so a second
  // request (or a refunded_payment message) does not race it. A lease: stale after a crash.
  `
  alter table tma_pay_orders add column refund_started_at timestamptz;
  `,
  // The order as it was after each change, so a live stream can replay the changes a client missed
  // (Last-Event-ID is the event's seq). Null on events written before this migration.
  `
  alter table tma_pay_order_events add column snapshot jsonb;
  `,
  // Refunds are of one charge, not of an order: a subscription order holds several (renewals), and a refund of
  // an older one must not refund the order. Creation slots make the per-user limit one atomic counter.
  `
  alter table tma_pay_payments add column refunded_at timestamptz;
  create index tma_pay_payments_order_idx on tma_pay_payments (order_id);
  create table tma_pay_creation_limits (
    user_id bigint primary key,
    window_start timestamptz not null,
    used integer not null
  );
  `,
  // Entitlements: what a user owns. An order keeps what it sells (its product's kind, a pass's access time)
  // from its creation, so a payment grants what was bought even if the catalog changed since.
  `
  alter table tma_pay_orders add column product_kind text not null default 'consumable';
  alter table tma_pay_orders add column access_seconds integer;
  alter table tma_pay_orders add column duplicate_of text;
  create index tma_pay_orders_user_product_idx on tma_pay_orders (user_id, product_id, id desc);
  create table tma_pay_entitlements (
    user_id bigint not null,
    product_id text not null,
    kind text not null,
    order_id text,
    granted_at timestamptz not null,
    expires_at timestamptz,
    revoked_at timestamptz,
    primary key (user_id, product_id)
  );
  create table tma_pay_entitlement_events (
    seq bigserial primary key,
    user_id bigint not null,
    product_id text not null,
    at timestamptz not null,
    action text not null,
    source text not null,
    order_id text,
    seconds integer,
    detail jsonb not null default '{}'
  );
  create index tma_pay_entitlement_events_idx on tma_pay_entitlement_events (user_id, product_id, seq);
  `,
]
