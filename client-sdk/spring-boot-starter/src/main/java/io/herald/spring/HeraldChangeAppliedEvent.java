package io.herald.spring;

import java.util.Set;

import org.springframework.context.ApplicationEvent;

/**
 * Published after a new version of a namespace was applied: the property source shows it and the
 * beans hold its values (a {@link HeraldListener} runs before that, and may still reject it). The
 * place to rebuild what was made from configuration, such as a client sized by a property. Published
 * on the Herald client's dispatch thread before the version is acked: a slow listener delays the ack
 * (and the next version), an exception is logged and does not undo the version.
 */
public final class HeraldChangeAppliedEvent extends ApplicationEvent {

  private final String namespace;
  private final long version;
  private final Set<String> changedProperties;

  HeraldChangeAppliedEvent(Object source, String namespace, long version, Set<String> changedProperties) {
    super(source);
    this.namespace = namespace;
    this.version = version;
    this.changedProperties = Set.copyOf(changedProperties);
  }

  public String namespace() {
    return namespace;
  }

  public long version() {
    return version;
  }

  /** Spring property names (not Herald keys) whose value changed, appeared or disappeared. */
  public Set<String> changedProperties() {
    return changedProperties;
  }
}
