package io.jindouyun.gateway.config;

import io.etcd.jetcd.Client;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.gateway.handshake.NodeId;
import io.jindouyun.gateway.kafka.EtcdStreamOwners;
import io.jindouyun.gateway.kafka.KafkaCanceller;
import io.jindouyun.gateway.kafka.KafkaJobSender;
import io.jindouyun.gateway.kafka.ReplyConsumerFactory;
import io.jindouyun.gateway.kafka.ReplyProperties;
import io.jindouyun.gateway.kafka.ReplyReader;
import io.jindouyun.gateway.metrics.GatewayMetrics;
import io.jindouyun.gateway.recycle.StreamDrain;
import io.jindouyun.gateway.recycle.TimerProperties;
import io.jindouyun.gateway.recycle.WheelDeadlines;
import io.jindouyun.gateway.sse.Handover;
import io.jindouyun.gateway.sse.HandoverProperties;
import io.jindouyun.gateway.sse.StreamHandler;
import io.jindouyun.gateway.sse.StreamOwners;
import io.jindouyun.gateway.stream.GenerationClock;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.support.etcd.EtcdProperties;
import io.jindouyun.support.instance.InstanceIdentity;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.json.JsonMapper;

/** Wires the stream map, its timer and metrics, the Kafka adapters and the stream endpoints. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({
  StreamProperties.class,
  TimerProperties.class,
  ReplyProperties.class,
  HandoverProperties.class
})
class GatewayConfig {

  /**
   * The instance id, needed before the web server listens (the reply partition claim, stream ids):
   * {@code jindouyun.instance.id}, else {@code <service>-<host>-<server.port>}; start-up fails when
   * neither an id nor a fixed port is configured.
   */
  @Bean
  NodeId nodeId(InstanceIdentity identity) {
    return new NodeId(identity.idBeforeWebServerStarts());
  }

  @Bean(destroyMethod = "close")
  WheelDeadlines deadlines(TimerProperties props) {
    return new WheelDeadlines(props.tick(), props.ticksPerWheel(), props.maxPendingTimeouts());
  }

  @Bean
  GatewayMetrics gatewayMetrics(MeterRegistry registry) {
    return new GatewayMetrics(registry);
  }

  @Bean(destroyMethod = "close")
  KafkaCanceller kafkaCanceller(
      KafkaTemplate<String, byte[]> template, ReplyProperties props, MeterRegistry registry) {
    KafkaCanceller canceller =
        new KafkaCanceller(template, props.controlTopic(), props.controlQueueCapacity());
    FunctionCounter.builder("jdy.gateway.cancels.dropped", canceller, KafkaCanceller::dropped)
        .description("cancels dropped because the send queue was full")
        .register(registry);
    return canceller;
  }

  @Bean
  StreamMap streamMap(
      StreamProperties props,
      WheelDeadlines deadlines,
      KafkaCanceller canceller,
      GatewayMetrics metrics) {
    StreamMap map =
        new StreamMap(
            props.limits(),
            GenerationClock.system(),
            deadlines,
            canceller,
            metrics,
            System::nanoTime,
            System::currentTimeMillis);
    metrics.bind(map, deadlines::pending);
    return map;
  }

  @Bean
  StreamDrain streamDrain(
      StreamMap streams, ReplyReader reader, StreamHandler handler, HandoverProperties handover) {
    return new StreamDrain(streams, () -> reader.handOver(handover.drainWait()), handler::handOff);
  }

  @Bean
  ReplyConsumerFactory replyConsumerFactory() {
    return ReplyConsumerFactory.KAFKA;
  }

  @Bean
  ReplyReader replyReader(
      ReplyProperties props,
      KafkaProperties kafka,
      ReplyConsumerFactory consumers,
      StreamMap streams,
      NodeId node,
      ObjectProvider<Client> etcdClient,
      StreamProperties streamProps) {
    return new ReplyReader(
        props,
        kafka.buildConsumerProperties(),
        consumers,
        streams,
        node.value(),
        etcdClient.getIfAvailable(),
        streamProps.maxLifetime());
  }

  /**
   * Health {@code replies} (part of readiness): UP while the reply partition is read and its claim
   * in etcd held, DOWN while the reader restarts after a failure (handshakes then get 503) or the
   * claim's lease is lost and not yet claimed again (another gateway might take the partition).
   */
  @Bean
  HealthIndicator repliesHealthIndicator(ReplyReader reader) {
    return () -> {
      Health.Builder health = reader.reading() && reader.claimHeld() ? Health.up() : Health.down();
      return health
          .withDetail("partition", reader.partition())
          .withDetail("claimHeld", reader.claimHeld())
          .withDetail("takenOver", reader.takenOver())
          .withDetail("failures", reader.failures())
          .build();
    };
  }

  @Bean
  KafkaJobSender kafkaJobSender(
      KafkaTemplate<String, byte[]> template, ReplyProperties props, ReplyReader reader) {
    return new KafkaJobSender(template, props, reader);
  }

  @Bean
  StreamHandler streamHandler(
      StreamMap streams,
      JsonMapper json,
      GatewayMetrics metrics,
      StreamProperties props,
      NodeId node,
      ObjectProvider<Client> etcdClient,
      EtcdProperties etcdProps,
      HandoverProperties handover,
      ReplyReader reader) {
    Client etcd = etcdClient.getIfAvailable();
    StreamOwners owners =
        etcd == null
            ? StreamOwners.NONE
            : new EtcdStreamOwners(
                etcd, node.value(), HostNetworks.of(etcdProps.instanceNetworks()));
    HttpClient http =
        HttpClient.create()
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) handover.connectTimeout().toMillis());
    WebClient proxy =
        WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
    return new StreamHandler(
        streams,
        json,
        metrics,
        props.pingInterval(),
        new Handover(
            node.value(), owners, proxy, handover, reader::catchingUp, streams::holdsStream));
  }
}
