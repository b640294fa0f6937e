package io.herald.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import org.springframework.boot.context.config.ConfigDataLocation;
import org.springframework.boot.context.config.ConfigDataLocationResolver;
import org.springframework.boot.context.config.ConfigDataLocationResolverContext;
import org.springframework.boot.context.properties.bind.Bindable;

/**
 * Resolves {@code herald:ns1,ns2} (also {@code ;} between namespaces) in {@code spring.config.import}.
 * The {@code herald.*} properties are read here, where the files and environment that import
 * Herald are already known, and kept for the loader in the bootstrap context.
 */
public final class HeraldConfigDataLocationResolver implements ConfigDataLocationResolver<HeraldConfigDataResource> {

  static final String PREFIX = "herald:";
  /** The hub's namespace rule (docs/http-api.md). */
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");

  /** A bare name that follows a herald: location in the same import list and could be a file, not a namespace. */
  private static final Pattern FILE = Pattern.compile(".*\\.(properties|ya?ml|xml|json|toml)$");

  /**
   * Spring Boot splits {@code spring.config.import} at commas, so {@code herald:a.prod,a.shared}
   * arrives as {@code herald:a.prod} and a bare {@code a.shared}. Such a bare name is taken as one
   * more Herald namespace when an earlier location of the same import list (same parent) was a
   * {@code herald:} one, it is a valid namespace name, and it does not end like a config file.
   */
  private static final class Continuations {
    final java.util.Set<Object> parents = java.util.concurrent.ConcurrentHashMap.newKeySet();
  }

  private static final Object NO_PARENT = new Object();

  @Override
  public boolean isResolvable(ConfigDataLocationResolverContext context, ConfigDataLocation location) {
    if (location.hasPrefix(PREFIX)) {
      return true;
    }
    String value = location.getValue();
    return !value.contains(":") && NAMESPACE.matcher(value).matches() && !FILE.matcher(value).matches()
        && context.getBootstrapContext().isRegistered(Continuations.class)
        && context.getBootstrapContext().get(Continuations.class).parents.contains(parent(context));
  }

  private static Object parent(ConfigDataLocationResolverContext context) {
    return context.getParent() == null ? NO_PARENT : context.getParent();
  }

  @Override
  public List<HeraldConfigDataResource> resolve(ConfigDataLocationResolverContext context, ConfigDataLocation location) {
    String value = location.hasPrefix(PREFIX) ? location.getNonPrefixedValue(PREFIX) : location.getValue();
    List<String> namespaces = namespaces(value);
    context.getBootstrapContext().registerIfAbsent(Continuations.class, b -> new Continuations());
    context.getBootstrapContext().get(Continuations.class).parents.add(parent(context));
    context.getBootstrapContext().registerIfAbsent(HeraldProperties.class, bootstrap ->
        context.getBinder().bind("herald", Bindable.of(HeraldProperties.class)).orElseGet(HeraldProperties::new));
    return List.of(new HeraldConfigDataResource(namespaces, location.isOptional()));
  }

  static List<String> namespaces(String value) {
    List<String> namespaces = new ArrayList<>();
    for (String part : value.split("[,;]")) {
      String ns = part.trim();
      if (ns.isEmpty()) {
        continue;
      }
      if (!NAMESPACE.matcher(ns).matches()) {
        throw new IllegalArgumentException("'" + ns + "' in spring.config.import=herald:" + value
            + " is not a Herald namespace (lower-case letters, digits, '.', '_', '-'; at most 128)");
      }
      if (!namespaces.contains(ns)) {
        namespaces.add(ns);
      }
    }
    if (namespaces.isEmpty()) {
      throw new IllegalArgumentException("spring.config.import=herald: names no namespace; write herald:payments.prod");
    }
    return namespaces;
  }
}
