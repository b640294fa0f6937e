package io.herald.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean that is called with every new version of an imported Herald
 * namespace: {@code void m(ConfigChange change)} or {@code void m()}.
 *
 * <p>It is called on the Herald client's dispatch thread, in version order, after the new values
 * were bound to every affected {@code @ConfigurationProperties} bean and {@code @Value} member and
 * checked (types, Bean Validation), but <em>before</em> any bean or the {@code Environment} shows
 * them: read the proposed values from {@link io.herald.client.ConfigChange#next()}. Throwing
 * rejects the version: nothing changes in the application, and the hub records the version as
 * rejected with the exception's message ({@code /acks}, the admin page). When every listener
 * returns, the beans are updated and the version is acked as applied.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface HeraldListener {

  /** The namespace, which must be imported with {@code spring.config.import=herald:...}. */
  String namespace();
}
