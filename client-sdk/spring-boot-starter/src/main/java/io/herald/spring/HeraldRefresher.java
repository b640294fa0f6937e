package io.herald.spring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.herald.client.ConfigChange;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.config.BeanExpressionContext;
import org.springframework.beans.factory.config.BeanExpressionResolver;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.bind.handler.IgnoreErrorsBindHandler;
import org.springframework.boot.context.properties.bind.handler.IgnoreTopLevelConverterNotFoundBindHandler;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.bind.validation.ValidationBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ResolvableType;
import org.springframework.core.convert.ConversionService;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.PropertySourcesPropertyResolver;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;
import org.springframework.validation.Validator;
import org.springframework.validation.annotation.Validated;

/**
 * Applies a new version of a namespace to the running application in two steps, so that a
 * rejected version changes nothing:
 * <ol>
 *   <li>check: bind every affected {@code @ConfigurationProperties} bean afresh (with its
 *       validation) and resolve and convert every affected {@code @Value} member, against the
 *       environment as it would be with the new version; then call the namespace's
 *       {@link HeraldListener} methods. Any failure throws, which rejects the version.</li>
 *   <li>apply: the namespace's property source shows the new version, the fresh values are copied
 *       into the beans and set on the {@code @Value} members.</li>
 * </ol>
 * Runs on the Herald client's dispatch thread; the client acks the version when this returns.
 */
final class HeraldRefresher implements HeraldRuntime.Refresher {

  private static final Log LOG = LogFactory.getLog(HeraldRefresher.class);

  private final ConfigurableApplicationContext context;
  private final ConfigurableListableBeanFactory beanFactory;
  private final HeraldBeanTracker tracker;
  private final Set<String> warnedImmutable = java.util.concurrent.ConcurrentHashMap.newKeySet();

  HeraldRefresher(ConfigurableApplicationContext context, HeraldBeanTracker tracker) {
    this.context = context;
    this.beanFactory = context.getBeanFactory();
    this.tracker = tracker;
  }

  private record Rebind(ConfigurationPropertiesBean bean, Object fresh) {
  }

  private record ValueUpdate(ValueMember member, String resolved, Object value) {
  }

  @Override
  public void apply(HeraldPropertySource source, ConfigChange change, Map<String, Object> next) throws Exception {
    Map<String, Object> before = source.properties();
    Set<ConfigurationPropertyName> changed = changedNames(before, next);
    MutablePropertySources proposed = proposedSources(source, change.toVersion(), next);
    List<String> errors = new ArrayList<>();

    List<Rebind> rebinds = new ArrayList<>();
    if (!changed.isEmpty()) {
      Binder binder = binder(proposed);
      for (ConfigurationPropertiesBean bean : ConfigurationPropertiesBean.getAll(context).values()) {
        ConfigurationPropertyName prefix = ConfigurationPropertyName.of(bean.getAnnotation().prefix());
        if (changed.stream().noneMatch(n -> prefix.equals(n) || prefix.isAncestorOf(n) || n.isAncestorOf(prefix))) {
          continue;
        }
        try {
          rebinds.add(new Rebind(bean, bindFresh(binder, bean)));
        } catch (RuntimeException e) {
          errors.add("@ConfigurationProperties(\"" + bean.getAnnotation().prefix() + "\") "
              + ClassUtils.getUserClass(bean.getInstance()).getSimpleName() + ": " + messages(e));
        }
      }
    }

    List<ValueUpdate> values = new ArrayList<>();
    PropertySourcesPropertyResolver resolver = new PropertySourcesPropertyResolver(proposed);
    for (ValueMember member : tracker.values()) {
      try {
        String resolved = resolver.resolveRequiredPlaceholders(member.expression);
        if (Objects.equals(resolved, member.resolved)) {
          continue;
        }
        Object value = resolved;
        BeanExpressionResolver spel = beanFactory.getBeanExpressionResolver();
        if (spel != null) {
          value = spel.evaluate(resolved, new BeanExpressionContext(beanFactory, null));
        }
        values.add(new ValueUpdate(member, resolved, member.convert(value, beanFactory.getTypeConverter())));
      } catch (RuntimeException e) {
        errors.add(member.describe() + ": " + messages(e));
      }
    }

    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    for (HeraldBeanTracker.Listener l : tracker.listeners(source.namespace())) {
      try {
        l.call(change);
      } catch (Exception e) {
        throw new IllegalStateException("@HeraldListener " + l.describe() + ": " + messages(e), e);
      }
    }

    source.show(change.toVersion(), next);
    for (Rebind r : rebinds) {
      copy(r);
    }
    for (ValueUpdate u : values) {
      u.member().set(u.value());
      u.member().resolved = u.resolved();
    }
    if (LOG.isInfoEnabled()) {
      LOG.info("herald: " + source.namespace() + " version " + change.toVersion() + " applied: " + rebinds.size()
          + " @ConfigurationProperties bean(s) rebound, " + values.size() + " @Value member(s) set");
    }
    try {
      context.publishEvent(new HeraldChangeAppliedEvent(this, source.namespace(), change.toVersion(),
          changedKeys(before, next)));
    } catch (RuntimeException e) {
      LOG.warn("herald: a listener of HeraldChangeAppliedEvent failed for " + source.namespace() + " version "
          + change.toVersion() + " (the version stays applied)", e);
    }
  }

  private static Set<String> changedKeys(Map<String, Object> before, Map<String, Object> after) {
    Set<String> names = new java.util.TreeSet<>(before.keySet());
    names.addAll(after.keySet());
    names.removeIf(n -> Objects.equals(before.get(n), after.get(n)));
    return names;
  }

  /** Property names whose value differs between the shown version and the proposed one. */
  static Set<ConfigurationPropertyName> changedNames(Map<String, Object> before, Map<String, Object> after) {
    Set<ConfigurationPropertyName> changed = new LinkedHashSet<>();
    for (String n : changedKeys(before, after)) {
      changed.add(ConfigurationPropertyName.adapt(n, '.'));
    }
    return changed;
  }

  /** The environment's property sources with this namespace's source showing the proposed version. */
  private MutablePropertySources proposedSources(HeraldPropertySource source, long version, Map<String, Object> next) {
    ConfigurableEnvironment env = context.getEnvironment();
    MutablePropertySources copy = new MutablePropertySources();
    for (PropertySource<?> ps : env.getPropertySources()) {
      if (ps == source) {
        copy.addLast(source.proposal(version, next));
      } else if (!ConfigurationPropertySources.isAttachedConfigurationPropertySource(ps)) {
        copy.addLast(ps);
      }
    }
    return copy;
  }

  private Binder binder(MutablePropertySources sources) {
    ConversionService conversion = beanFactory.getConversionService();
    return new Binder(ConfigurationPropertySources.from(sources), new PropertySourcesPlaceholdersResolver(sources),
        conversion != null ? conversion : ApplicationConversionService.getSharedInstance(), null, null);
  }

  /** Binds a new instance of the bean's class the way Spring Boot binds it at start-up. */
  private Object bindFresh(Binder binder, ConfigurationPropertiesBean bean) {
    Bindable<?> target = bean.asBindTarget();
    Class<?> type = ClassUtils.getUserClass(bean.getInstance());
    Bindable<Object> fresh = Bindable.of(ResolvableType.forClass(type)).withAnnotations(target.getAnnotations())
        .withBindMethod(target.getBindMethod());
    ConfigurationProperties annotation = bean.getAnnotation();
    BindHandler handler = new IgnoreTopLevelConverterNotFoundBindHandler();
    if (annotation.ignoreInvalidFields()) {
      handler = new IgnoreErrorsBindHandler(handler);
    }
    if (!annotation.ignoreUnknownFields()) {
      handler = new NoUnboundElementsBindHandler(handler);
    }
    List<Validator> validators = validators(bean.getInstance(), target);
    if (!validators.isEmpty()) {
      handler = new ValidationBindHandler(handler, validators.toArray(Validator[]::new));
    }
    return binder.bindOrCreate(annotation.prefix(), fresh, handler);
  }

  private List<Validator> validators(Object instance, Bindable<?> target) {
    List<Validator> validators = new ArrayList<>();
    if (beanFactory.containsBean("configurationPropertiesValidator")) {
      validators.add(beanFactory.getBean("configurationPropertiesValidator", Validator.class));
    }
    boolean validated = target.getAnnotation(Validated.class) != null
        || instance.getClass().isAnnotationPresent(Validated.class);
    if (validated) {
      Validator jsr303 = beanFactory.containsBean("defaultValidator")
          ? beanFactory.getBean("defaultValidator", Validator.class)
          : beanFactory.getBeanProvider(Validator.class).getIfUnique();
      if (jsr303 != null && !validators.contains(jsr303)) {
        validators.add(jsr303);
      }
    }
    if (instance instanceof Validator self) {
      validators.add(self);
    }
    return validators;
  }

  /** Java beans get the fresh instance's state; constructor-bound ones cannot change in place. */
  private void copy(Rebind r) {
    Object target = r.bean().getInstance();
    if (r.bean().asBindTarget().getBindMethod() == BindMethod.VALUE_OBJECT || r.fresh() == null
        || r.fresh().getClass() != target.getClass()) {
      if (warnedImmutable.add(r.bean().getName())) {
        LOG.warn("herald: @ConfigurationProperties bean '" + r.bean().getName() + "' is constructor-bound (immutable): "
            + "new values were checked but it keeps its start-up values until a restart; make it a Java bean to follow Herald live");
      }
      return;
    }
    ReflectionUtils.shallowCopyFieldState(r.fresh(), target);
  }

  /** The messages of an exception and its causes, most specific last, without repeats. */
  static String messages(Throwable e) {
    Map<String, Boolean> seen = new LinkedHashMap<>();
    for (Throwable t = e; t != null && seen.size() < 6; t = t.getCause()) {
      String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().trim();
      if (t instanceof org.springframework.boot.context.properties.bind.validation.BindValidationException v) {
        List<String> fields = new ArrayList<>();
        v.getValidationErrors().forEach(err -> fields.add(
            (err instanceof org.springframework.validation.FieldError f ? f.getField() + " " : "") + err.getDefaultMessage()));
        m = "validation failed: " + String.join(", ", fields);
      }
      seen.putIfAbsent(m, Boolean.TRUE);
      if (t.getCause() == t) {
        break;
      }
    }
    return String.join(": ", seen.keySet());
  }
}
