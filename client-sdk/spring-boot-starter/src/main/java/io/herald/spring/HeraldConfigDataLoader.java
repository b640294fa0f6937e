package io.herald.spring;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.logging.Log;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.bootstrap.ConfigurableBootstrapContext;
import org.springframework.boot.context.config.ConfigData;
import org.springframework.boot.context.config.ConfigDataLoader;
import org.springframework.boot.context.config.ConfigDataLoaderContext;
import org.springframework.boot.logging.DeferredLogFactory;

/**
 * Loads the namespaces of a {@code herald:} import: starts the application's Herald client on the
 * first import, waits for the first version of each namespace, and returns one live property
 * source per namespace. When the configuration is loaded, the client becomes the bean
 * {@code heraldRuntime} of the application context, which closes it on shutdown.
 */
public final class HeraldConfigDataLoader implements ConfigDataLoader<HeraldConfigDataResource> {

  private final Log log;

  public HeraldConfigDataLoader(DeferredLogFactory logs) {
    this.log = logs.getLog(HeraldConfigDataLoader.class);
  }

  @Override
  public ConfigData load(ConfigDataLoaderContext context, HeraldConfigDataResource resource) {
    ConfigurableBootstrapContext bootstrap = context.getBootstrapContext();
    if (!bootstrap.isRegistered(HeraldRuntime.class)) {
      HeraldRuntime started = HeraldRuntime.start(bootstrap.get(HeraldProperties.class));
      bootstrap.register(HeraldRuntime.class, b -> started);
      bootstrap.addCloseListener(event -> {
        HeraldRuntime runtime = event.getBootstrapContext().get(HeraldRuntime.class);
        runtime.contextStarting();
        ConfigurableListableBeanFactory beans = event.getApplicationContext().getBeanFactory();
        beans.registerSingleton("heraldRuntime", runtime);
        if (beans instanceof DefaultSingletonBeanRegistry registry) {
          registry.registerDisposableBean("heraldRuntime", runtime::close);
        }
      });
    }
    HeraldRuntime runtime = bootstrap.get(HeraldRuntime.class);
    List<HeraldPropertySource> sources;
    try {
      sources = new ArrayList<>(runtime.open(resource.namespaces(), log));
    } catch (RuntimeException e) {
      runtime.close();
      throw e;
    }
    // ConfigData lists its sources in ascending precedence: the namespace written last wins.
    return new ConfigData(sources, ConfigData.Option.IGNORE_IMPORTS, ConfigData.Option.IGNORE_PROFILES);
  }
}
