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
 * <p>The key is only put if absent or this process's own ({@link Registrar}). When another live
 * instance holds it (the same instance id twice), the ready event's listener throws and the
 * application fails start-up; a crashed predecessor's key is waited out first (up to its lease's
 * remaining TTL). Start-up waits for the first attempt only: if etcd cannot be reached, the process
 * starts and keeps registering in the background.
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

  /**
   * Bound on the start-up wait for the first registration: it settles within about the operation
   * timeouts, or a holder's remaining lease TTL when a crashed predecessor's key is waited out.
   */
  static final Duration START_WAIT = Duration.ofMinutes(2);

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
    InstanceRecord record = record();
    Registrar started;
    synchronized (this) {
      if (registrar != null || !running) {
        return;
      }
      registrar =
          new Registrar(
              client,
              EtcdKeys.DEFAULT.instanceKey(record.service(), record.id()),
              () -> record().toJson(),
              properties.ttl(),
              properties.operationTimeout(),
              new Backoff(properties.retryInitial(), properties.retryMax()));
      started = registrar;
      started.start();
    }
    awaitStarted(started, record.id());
  }

  /**
   * Waits (at most {@link #START_WAIT}) until {@code started} put its key or went on retrying in
   * the background; throws, failing start-up, when a live instance holds the key.
   */
  private static void awaitStarted(Registrar started, String id) {
    try {
      started.started().get(START_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      log.warn("registering {} not settled after {}; going on", started.key(), START_WAIT);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KeyHeldException held) {
        throw new IllegalStateException(
            "instance id "
                + id
                + " is taken: "
                + held.key()
                + " is held by a live instance; give this one another jindouyun.instance.id",
            held);
      }
      log.warn("registering {}: {}", started.key(), e.getCause().toString());
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
