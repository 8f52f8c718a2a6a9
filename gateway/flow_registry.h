/**
 * flow_registry.h - tells storage which flow definitions this gateway runs.
 *
 * At start every loaded flow (its id, version, SHA-256, title and file
 * text) is appended to the answer stream as a `flow` event; the writer
 * keeps it in the PostgreSQL `flows` table, so each session can be read
 * against the exact questions it was asked. Retries every second until Redis
 * has confirmed every flow. Called by gateway/main.c.
 */
#ifndef RAIA_FLOW_REGISTRY_H
#define RAIA_FLOW_REGISTRY_H

#include "raia_err.h"

struct event_base;
struct flow_set;
struct redis_store;
struct flow_registry;

/** Start registering flows (borrowed; both must outlive the registry). NULL on OOM. */
struct flow_registry *flow_registry_start(struct event_base *base, struct redis_store *rs,
                                          const struct flow_set *flows);
/** After a reload: register this set (borrowed) instead. 0 or -RAIA_ENOMEM. */
int flow_registry_set_flows(struct flow_registry *reg, const struct flow_set *flows);
/** Free after redis_store_free(): pending appends call back into the registry. */
void flow_registry_free(struct flow_registry *reg);

#endif
