package io.jindouyun.gateway.history;

import io.jindouyun.gateway.handshake.ConversationLookup;
import io.jindouyun.history.HistoryDatabase;
import io.jindouyun.history.HistoryProperties;
import io.jindouyun.history.HistoryStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The gateway's side of the history: reads the earlier turns a job carries, serves the history API
 * and marks acknowledged turns delivered. The llm-consumers write the turns. On when {@code
 * jindouyun.history.url} names a database (migrated at start).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(HistoryProperties.class)
class HistoryWiring {

  @Bean(destroyMethod = "close")
  HistoryDatabase historyDatabase(HistoryProperties props) {
    return props.enabled() ? HistoryDatabase.open(props) : null;
  }

  @Bean
  HistoryStore historyStore(HistoryProperties props, ObjectProvider<HistoryDatabase> database) {
    HistoryDatabase db = database.getIfAvailable();
    return db == null ? null : new HistoryStore(db, props);
  }

  @Bean
  ConversationLookup conversationLookup(
      ObjectProvider<HistoryStore> store, HistoryProperties props) {
    return new StoredConversations(store.getIfAvailable(), props);
  }

  @Bean
  ConversationHandler conversationHandler(
      ObjectProvider<HistoryStore> store, HistoryProperties props) {
    return new ConversationHandler(store.getIfAvailable(), props);
  }
}
