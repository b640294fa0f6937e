package io.herald.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Turns a {@link HeraldStartupException} into Spring Boot's "APPLICATION FAILED TO START" report. */
final class HeraldFailureAnalyzer extends AbstractFailureAnalyzer<HeraldStartupException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, HeraldStartupException cause) {
    return new FailureAnalysis(cause.getMessage(),
        "Check herald.endpoints and herald.token, that a hub is running and reachable, and that the namespace exists. "
            + "To start from the local cache (herald.cache-dir) or without Herald when no hub answers, set herald.fail-fast=false.",
        cause);
  }
}
