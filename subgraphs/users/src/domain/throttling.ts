import type { FailureRule, RateRule, Throttle } from '@bazaar/service';

/** The users service's throttles; values and reasons in docs/security.md. */
export interface ThrottleSettings {
  /** Wrong passwords per account before delays start; lock-out after `loginLockoutAfter`. */
  loginFreeFailures: number;
  loginLockoutAfter: number;
  loginLockoutSeconds: number;
  loginDelayBaseSeconds: number;
  /** The same per client address, which may hide many honest users behind one NAT. */
  addressFreeFailures: number;
  addressLockoutAfter: number;
  signUpsPerAddressPerHour: number;
  refreshesPerMinute: number;
}

export const DEFAULT_THROTTLE_SETTINGS: ThrottleSettings = {
  loginFreeFailures: 3,
  loginLockoutAfter: 10,
  loginLockoutSeconds: 900,
  loginDelayBaseSeconds: 1,
  addressFreeFailures: 20,
  addressLockoutAfter: 100,
  signUpsPerAddressPerHour: 10,
  refreshesPerMinute: 30,
};

const HOUR = 3600;

export function createThrottles(throttle: Throttle, settings: ThrottleSettings) {
  const loginFailures = (name: string, freeFailures: number, lockoutAfter: number): FailureRule => ({
    name,
    freeFailures,
    lockoutAfter,
    delayBaseSeconds: settings.loginDelayBaseSeconds,
    maxDelaySeconds: settings.loginLockoutSeconds,
    lockoutSeconds: settings.loginLockoutSeconds,
    windowSeconds: HOUR,
  });
  const rate = (name: string, points: number, windowSeconds: number): RateRule => ({ name, points, windowSeconds });
  return {
    logInAccount: throttle.failures(loginFailures('login_account', settings.loginFreeFailures, settings.loginLockoutAfter)),
    logInAddress: throttle.failures(loginFailures('login_address', settings.addressFreeFailures, settings.addressLockoutAfter)),
    signUpAddress: throttle.rate(rate('signup_address', settings.signUpsPerAddressPerHour, HOUR)),
    // Per email too: one address cannot be made to try the same email over and over.
    signUpAccount: throttle.rate(rate('signup_email', 5, HOUR)),
    refreshAddress: throttle.rate(rate('refresh_address', settings.refreshesPerMinute * 10, 60)),
    refreshAccount: throttle.rate(rate('refresh_account', settings.refreshesPerMinute, 60)),
  };
}

export type Throttles = ReturnType<typeof createThrottles>;
