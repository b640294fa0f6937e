package io.herald.client;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The client's meters in Micrometer, tagged with its {@code client_id}: {@code herald.client.connected}
 * (1 or 0), {@code herald.client.version} per namespace, {@code herald.client.rejections} and
 * {@code herald.client.drifts} per namespace, {@code herald.client.reconnects}. Only loaded when
 * Micrometer is on the class path (see {@link ClientMeters#create}).
 */
final class MicrometerMeters implements ClientMeters {

  private final MeterRegistry registry;
  private final String clientId;
  private final Counter reconnects;
  private final List<Meter> registered = new CopyOnWriteArrayList<>();

  MicrometerMeters(HeraldClient client, Object registry) {
    this.registry = registry instanceof MeterRegistry r ? r : Metrics.globalRegistry;
    this.clientId = client.clientId();
    registered.add(Gauge.builder("herald.client.connected", client, c -> c.connected() ? 1 : 0)
        .description("1 while the client follows a hub (WebSocket open, or the last pull answered)")
        .tag("client_id", clientId).register(this.registry));
    reconnects = Counter.builder("herald.client.reconnects").description("WebSocket connections opened after the first")
        .tag("client_id", clientId).register(this.registry);
    registered.add(reconnects);
  }

  @Override
  public void view(ConfigView view) {
    registered.add(Gauge.builder("herald.client.version", view, ConfigView::version)
        .description("The version of the namespace the application runs").tag("client_id", clientId)
        .tag("namespace", view.namespace()).register(registry));
  }

  @Override
  public void rejected(String namespace) {
    counter("herald.client.rejections", "Versions a listener rejected", namespace).increment();
  }

  @Override
  public void reconnected() {
    reconnects.increment();
  }

  @Override
  public void drifted(String namespace) {
    counter("herald.client.drifts", "Reconciliations that found the namespace behind or different from the hub",
        namespace).increment();
  }

  private Counter counter(String name, String description, String namespace) {
    Counter c = Counter.builder(name).description(description).tag("client_id", clientId).tag("namespace", namespace)
        .register(registry);
    if (!registered.contains(c)) {
      registered.add(c);
    }
    return c;
  }

  @Override
  public void close() {
    registered.forEach(registry::remove);
    registered.clear();
  }
}
