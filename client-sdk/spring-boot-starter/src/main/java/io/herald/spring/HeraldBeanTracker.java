package io.herald.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.herald.client.ConfigChange;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Remembers, as singletons are created, their {@code @Value("${...}")} fields and setters (to set
 * them again when Herald brings a new version) and their {@link HeraldListener} methods.
 */
final class HeraldBeanTracker implements BeanPostProcessor, BeanFactoryAware, EnvironmentAware {

  /** One {@link HeraldListener} method with the bean to call it on. */
  record Listener(String namespace, String beanName, Object bean, Method method) {

    void call(ConfigChange change) throws Exception {
      ReflectionUtils.makeAccessible(method);
      try {
        if (method.getParameterCount() == 0) {
          method.invoke(bean);
        } else {
          method.invoke(bean, change);
        }
      } catch (java.lang.reflect.InvocationTargetException e) {
        if (e.getCause() instanceof Exception x) {
          throw x;
        }
        throw e;
      }
    }

    String describe() {
      Class<?> type = method.getDeclaringClass();
      return (type.getSimpleName().isEmpty() ? type.getName() : type.getSimpleName()) + "." + method.getName()
          + " (bean '" + beanName + "')";
    }
  }

  private ConfigurableListableBeanFactory beanFactory;
  private Environment environment;
  private final List<ValueMember> values = new CopyOnWriteArrayList<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Map<Class<?>, Boolean> uninteresting = new ConcurrentHashMap<>();

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = (ConfigurableListableBeanFactory) beanFactory;
  }

  /** Before initialization the bean is the raw object that {@code @Value} was injected into (not a proxy). */
  @Override
  public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
    Class<?> type = bean.getClass();
    if (uninteresting.containsKey(type) || !beanFactory.containsBeanDefinition(beanName)
        || !beanFactory.getBeanDefinition(beanName).isSingleton()) {
      return bean;
    }
    int before = values.size();
    ReflectionUtils.doWithFields(type, field -> {
      Value v = AnnotatedElementUtils.findMergedAnnotation(field, Value.class);
      if (v != null && v.value().contains("${") && !Modifier.isStatic(field.getModifiers()) && fromEnvironment(v.value())) {
        values.add(new ValueMember(beanName, bean, field, null, v.value(), resolve(v.value())));
      }
    });
    ReflectionUtils.doWithMethods(type, method -> {
      Value v = AnnotatedElementUtils.findMergedAnnotation(method, Value.class);
      if (v != null && v.value().contains("${") && method.getParameterCount() == 1 && !Modifier.isStatic(method.getModifiers())
          && fromEnvironment(v.value())) {
        values.add(new ValueMember(beanName, bean, null, method, v.value(), resolve(v.value())));
      }
    });
    if (values.size() == before && !hasListener(type)) {
      uninteresting.put(type, Boolean.TRUE);
    }
    return bean;
  }

  /** After initialization: the listener is called on the bean as others see it (a proxy, if any). */
  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    Class<?> type = AopUtils.getTargetClass(bean);
    if (uninteresting.containsKey(type)) {
      return bean;
    }
    ReflectionUtils.doWithMethods(type, method -> {
      HeraldListener l = AnnotatedElementUtils.findMergedAnnotation(method, HeraldListener.class);
      if (l == null) {
        return;
      }
      Class<?>[] params = method.getParameterTypes();
      if (params.length > 1 || (params.length == 1 && params[0] != ConfigChange.class)) {
        throw new IllegalStateException("@HeraldListener method " + type.getName() + "." + method.getName()
            + " must take no parameter or one ConfigChange");
      }
      listeners.add(new Listener(l.namespace(), beanName, bean, AopUtils.selectInvocableMethod(method, bean.getClass())));
    });
    return bean;
  }

  private static boolean hasListener(Class<?> type) {
    boolean[] found = {false};
    ReflectionUtils.doWithMethods(type, m -> found[0] = true,
        m -> AnnotatedElementUtils.hasAnnotation(m, HeraldListener.class));
    return found[0];
  }

  /**
   * Only members whose placeholders the Environment alone resolves, exactly as the bean factory did,
   * are followed: one that also needs something else (a placeholder configurer's local properties, a
   * custom resolver) cannot be re-resolved from the Environment and must not reject every version.
   */
  private boolean fromEnvironment(String expression) {
    try {
      return environment.resolveRequiredPlaceholders(expression).equals(resolve(expression));
    } catch (RuntimeException e) {
      return false;
    }
  }

  private String resolve(String expression) {
    try {
      return beanFactory.resolveEmbeddedValue(expression);
    } catch (RuntimeException e) {
      return null;
    }
  }

  List<ValueMember> values() {
    return values;
  }

  List<Listener> listeners(String namespace) {
    List<Listener> out = new ArrayList<>();
    for (Listener l : listeners) {
      if (l.namespace().equals(namespace)) {
        out.add(l);
      }
    }
    return out;
  }

  List<Listener> listeners() {
    return List.copyOf(listeners);
  }
}
