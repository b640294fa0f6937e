package io.herald.spring;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

import org.springframework.beans.TypeConverter;
import org.springframework.core.MethodParameter;
import org.springframework.core.convert.TypeDescriptor;
import org.springframework.util.ReflectionUtils;

/**
 * One {@code @Value("${...}")} field or setter of a singleton bean, with the text its expression
 * resolved to when last set, so that only members whose text changes are set again.
 */
final class ValueMember {

  final String beanName;
  final Object bean;
  final Field field;
  final Method method;
  final String expression;
  volatile String resolved;

  ValueMember(String beanName, Object bean, Field field, Method method, String expression, String resolved) {
    this.beanName = beanName;
    this.bean = bean;
    this.field = field;
    this.method = method;
    this.expression = expression;
    this.resolved = resolved;
  }

  Object convert(Object value, TypeConverter converter) {
    if (field != null) {
      return converter.convertIfNecessary(value, field.getType(), new TypeDescriptor(field));
    }
    MethodParameter p = new MethodParameter(method, 0);
    return converter.convertIfNecessary(value, p.getParameterType(), new TypeDescriptor(p));
  }

  void set(Object value) {
    if (field != null) {
      ReflectionUtils.makeAccessible(field);
      ReflectionUtils.setField(field, bean, value);
    } else {
      ReflectionUtils.makeAccessible(method);
      ReflectionUtils.invokeMethod(method, bean, value);
    }
  }

  String describe() {
    return "@Value(\"" + expression + "\") on " + (field != null ? "field " + field.getName() : "method " + method.getName() + "()")
        + " of bean '" + beanName + "'";
  }
}
