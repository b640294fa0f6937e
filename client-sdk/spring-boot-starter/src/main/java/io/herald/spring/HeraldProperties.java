package io.herald.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.herald.client.Transport;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code herald.*} properties, read once when the first {@code herald:} import is resolved
 * (from the files, environment variables and command line that Spring Boot knows at that point).
 * The annotation only gives IDEs the property metadata; this class is bound by the import, not as a bean.
 */
@ConfigurationProperties("herald")
public class HeraldProperties {

  /** Hub base URLs such as {@code http://hub-a:8080}, tried in turn. */
  private List<String> endpoints = new ArrayList<>();
  /** Bearer token with the client role for the imported namespaces. */
  private String token;
  /** How the hub knows this application in rollouts; default host name and process id. Keep it stable. */
  private String clientId;
  /** Where the last applied version of each namespace is kept, so the application can start without a hub. */
  private Path cacheDir;
  /** Labels the hub shows next to this client (and progressive rollouts select on). */
  private Map<String, String> labels = new LinkedHashMap<>();
  /** Refuse to start when no hub delivers an imported namespace within {@code initial-timeout}. */
  private boolean failFast = false;
  /** How long start-up waits for the hub's first version of the imported namespaces. */
  private Duration initialTimeout = Duration.ofSeconds(5);
  /** websocket (default: pushed, acked on the socket) or pull. */
  private Transport transport = Transport.WEBSOCKET;
  /** How often the client reconciles each namespace with the hub, and so how soon a rejected version is offered again; 0 turns it off. */
  private Duration syncInterval = Duration.ofMinutes(5);
  /** Pull transport: the time between pulls; 0 long-polls instead. */
  private Duration pollInterval = Duration.ofSeconds(60);

  public List<String> getEndpoints() {
    return endpoints;
  }

  public void setEndpoints(List<String> endpoints) {
    this.endpoints = endpoints;
  }

  public String getToken() {
    return token;
  }

  public void setToken(String token) {
    this.token = token;
  }

  public String getClientId() {
    return clientId;
  }

  public void setClientId(String clientId) {
    this.clientId = clientId;
  }

  public Path getCacheDir() {
    return cacheDir;
  }

  public void setCacheDir(Path cacheDir) {
    this.cacheDir = cacheDir;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }

  public boolean isFailFast() {
    return failFast;
  }

  public void setFailFast(boolean failFast) {
    this.failFast = failFast;
  }

  public Duration getInitialTimeout() {
    return initialTimeout;
  }

  public void setInitialTimeout(Duration initialTimeout) {
    this.initialTimeout = initialTimeout;
  }

  public Duration getSyncInterval() {
    return syncInterval;
  }

  public void setSyncInterval(Duration syncInterval) {
    this.syncInterval = syncInterval;
  }

  public Duration getPollInterval() {
    return pollInterval;
  }

  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  public Transport getTransport() {
    return transport;
  }

  public void setTransport(Transport transport) {
    this.transport = transport;
  }
}
