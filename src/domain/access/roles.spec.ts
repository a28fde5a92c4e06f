import { isRole, roleAtLeast } from './roles.js';

describe('roles', () => {
  it('orders viewer < operator < platform_admin', () => {
    expect(roleAtLeast('platform_admin', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'platform_admin')).toBe(false);
    expect(roleAtLeast('viewer', 'operator')).toBe(false);
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
  });

  it('knows its roles and nothing else', () => {
    expect(isRole('operator')).toBe(true);
    expect(isRole('admin')).toBe(false);
  });
});
