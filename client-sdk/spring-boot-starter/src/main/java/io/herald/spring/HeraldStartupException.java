package io.herald.spring;

import org.springframework.boot.context.config.ConfigDataException;

/** Herald cannot give the application its configuration at start-up (fail-fast, or missing settings). */
public final class HeraldStartupException extends ConfigDataException {

  public HeraldStartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
