-- Conversation history: one row per conversation, one per stored turn (an answer and its prompt).
-- Times are milliseconds since the epoch. The same script runs on H2 (2.x) and PostgreSQL (15).

CREATE TABLE conversation (
  id         VARCHAR(64)  NOT NULL PRIMARY KEY,
  user_id    VARCHAR(255) NOT NULL,
  title      VARCHAR(200) NOT NULL,
  created_at BIGINT       NOT NULL,
  updated_at BIGINT       NOT NULL,
  turns      INT          NOT NULL
);

-- The caller's conversations, newest first, paged by (updated_at, id).
CREATE INDEX conversation_by_user ON conversation (user_id, updated_at, id);

CREATE TABLE turn (
  stream_id         VARCHAR(200) NOT NULL,
  generation        BIGINT       NOT NULL,
  conversation_id   VARCHAR(64)  NOT NULL REFERENCES conversation (id) ON DELETE CASCADE,
  user_id           VARCHAR(255) NOT NULL,
  model             VARCHAR(200) NOT NULL,
  -- the messages the client sent for this turn, as a JSON array of {role, content}
  prompt            VARCHAR      NOT NULL,
  answer            VARCHAR      NOT NULL,
  -- complete, or partial (cancelled, failed, expired, superseded: see partial_reason)
  status            VARCHAR(16)  NOT NULL,
  finish_reason     VARCHAR(64),
  partial_reason    VARCHAR(500),
  truncated         BOOLEAN      NOT NULL,
  prompt_tokens     INT,
  completion_tokens INT,
  total_tokens      INT,
  started_at        BIGINT       NOT NULL,
  first_token_ms    BIGINT,
  ended_at          BIGINT       NOT NULL,
  delivered         BOOLEAN      NOT NULL,
  -- the ack finds its turn by stream id (the key's first column)
  PRIMARY KEY (stream_id, generation)
);

CREATE INDEX turn_by_conversation ON turn (conversation_id, generation);
