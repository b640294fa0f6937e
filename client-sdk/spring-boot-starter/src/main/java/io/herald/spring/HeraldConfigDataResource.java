package io.herald.spring;

import java.util.List;

import org.springframework.boot.context.config.ConfigDataResource;

/** The namespaces of one {@code herald:} import, in the order written (a later one overrides an earlier one). */
final class HeraldConfigDataResource extends ConfigDataResource {

  private final List<String> namespaces;

  HeraldConfigDataResource(List<String> namespaces, boolean optional) {
    super(optional);
    this.namespaces = List.copyOf(namespaces);
  }

  List<String> namespaces() {
    return namespaces;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeraldConfigDataResource r && r.namespaces.equals(namespaces);
  }

  @Override
  public int hashCode() {
    return namespaces.hashCode();
  }

  @Override
  public String toString() {
    return "herald:" + String.join(",", namespaces);
  }
}
