package io.jindouyun.support.registration;

import io.etcd.jetcd.Client;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.instance.InstanceIdentity;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;

/**
 * Registers this instance in etcd once the application is ready (web server listening, so the HTTP
 * port is known) and deletes the key first on shutdown.
 *
 * <p>Runs in lifecycle phase {@link #PHASE} = {@link SmartLifecycle#DEFAULT_PHASE}, the highest
 * one, so its {@link #stop()} runs before the web server's graceful shutdown (phase {@code
 * DEFAULT_PHASE - 1024}) and before the metrics server stops: routers stop sending new work, then
 * in-flight work drains for {@code spring.lifecycle.timeout-per-shutdown-phase}.
 *
 * <p>Without a {@link Client} (no {@code jindouyun.etcd.endpoints}) or with {@code
 * jindouyun.registration.enabled=false} it does nothing and logs that registration is off.
 */
public final class SelfRegistration
    implements SmartLifecycle, ApplicationListener<ApplicationReadyEvent> {

  /** Lifecycle phase: the first to stop. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE;

  private static final Logger log = LoggerFactory.getLogger(SelfRegistration.class);

  private final Client client;
  private final InstanceIdentity identity;
  private final RegistrationProperties properties;
  private volatile Registrar registrar;
  private volatile boolean running;
  private final String offReason;

  /**
   * @param client the etcd client, or null when none is configured
   */
  public SelfRegistration(
      Client client, InstanceIdentity identity, RegistrationProperties properties) {
    this.client = client;
    this.identity = identity;
    this.properties = properties;
    if (client == null) {
      offReason = "jindouyun.etcd.endpoints is empty";
    } else if (!properties.enabled()) {
      offReason = "jindouyun.registration.enabled=false";
    } else {
      offReason = null;
    }
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    if (offReason != null) {
      log.info("self-registration is off: {}", offReason);
      return;
    }
    synchronized (this) {
      if (registrar != null || !running) {
        return;
      }
      InstanceRecord record = record();
      registrar =
          new Registrar(
              client,
              EtcdKeys.DEFAULT.instanceKey(record.service(), record.id()),
              () -> record().toJson(),
              properties.ttl(),
              properties.operationTimeout(),
              new Backoff(properties.retryInitial(), properties.retryMax()));
      registrar.start();
    }
  }

  /** The record as published now. */
  public InstanceRecord record() {
    return new InstanceRecord(
        identity.id(),
        identity.service(),
        identity.host(),
        identity.httpPort(),
        identity.grpcPort(),
        identity.zone(),
        identity.version(),
        identity.startedAt().toString());
  }

  /** Whether registration is configured on. */
  public boolean enabled() {
    return offReason == null;
  }

  /** Why registration is off (null when on). */
  public String offReason() {
    return offReason;
  }

  /** The registrar, null before the application is ready or when off. */
  public Registrar registrar() {
    return registrar;
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    Registrar current;
    synchronized (this) {
      running = false;
      current = registrar;
    }
    if (current == null) {
      return;
    }
    Duration timeout = properties.deregisterTimeout();
    try {
      current.deregister(timeout).get(timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
      if (!properties.drainDelay().isZero()) {
        Thread.sleep(properties.drainDelay().toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("deregistering {} did not finish: {}", current.key(), e.toString());
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
