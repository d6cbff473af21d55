package io.jindouyun.ipconfig.watch;

/**
 * One key-value as read from etcd or seen in a watch event, free of jetcd types.
 *
 * @param key the key
 * @param value the value (empty for a delete)
 * @param modRevision the revision of its last change (of the delete, for a delete)
 */
record EtcdEntry(String key, String value, long modRevision) {}
