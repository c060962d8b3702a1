package io.tenantgate.testing;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * The suite's two fuzz modes for jqwik properties (add with
 * {@code @AddLifecycleHook(FuzzTries.class)} on the class): by default each property runs the tries
 * written on it (small, for CI); with {@code -Dtenantgate.fuzz.tries=N} (the long mode, e.g. 100000)
 * every property runs N tries instead. A fixed seed can be replayed with {@code -Dtenantgate.fuzz.seed=S}.
 */
public final class FuzzTries implements AroundPropertyHook {
  public static final String TRIES = "tenantgate.fuzz.tries";
  public static final String SEED = "tenantgate.fuzz.seed";

  /** The long-mode tries, or 0 when the suite runs in its default mode. */
  public static int longModeTries() {
    String v = System.getProperty(TRIES, "").trim();
    return v.isEmpty() ? 0 : Integer.parseInt(v);
  }

  /** Registered on a class, it applies to every property in it. */
  @Override
  public PropagationMode propagateTo() {
    return PropagationMode.ALL_DESCENDANTS;
  }

  @Override
  public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
    int tries = longModeTries();
    if (tries > 0) {
      context.attributes().setTries(tries);
    }
    String seed = System.getProperty(SEED, "").trim();
    if (!seed.isEmpty()) {
      context.attributes().setSeed(seed);
    }
    return property.execute();
  }
}
