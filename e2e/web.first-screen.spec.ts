import { expect, test } from '@playwright/test'
import { E2E_TOKEN } from '../playwright.config'
import { expectFirstScreen, trackPageErrors } from './first-screen'

test.describe('browser host', () => {
  test('without the token there is no access', async ({ request }) => {
    const page = await request.get('/', { maxRedirects: 0 })
    expect(page.status()).toBe(403)
    const asset = await request.get('/index.html', { maxRedirects: 0 })
    expect(asset.status()).toBe(403)
  })

  test('shows the tour hosts on a live WebGL globe', async ({ page }) => {
    const errors = trackPageErrors(page)
    await page.goto(`/?token=${E2E_TOKEN}`)
    await expectFirstScreen(page)
    // The token left the address bar for a cookie.
    expect(page.url()).not.toContain('token=')
    await page.screenshot({ path: 'test-results/globehop.png' })
    expect(errors).toEqual([])
  })

  test('keyboard help opens and closes', async ({ page }) => {
    await page.goto(`/?token=${E2E_TOKEN}`)
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
    await page.keyboard.press('?')
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
    await page.keyboard.press('?')
    await expect(page.getByRole('dialog')).toHaveCount(0)
  })
})

test('a malformed tour file shows file, line and field in the app, and a good one loads again', async ({ page }) => {
  await page.goto(`/?token=${E2E_TOKEN}`)
  await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
  const input = page.getByLabel('Tour file path')
  await input.fill('e2e/fixtures/bad-tour.yaml')
  await input.press('Enter')
  const problems = page.getByTestId('tour-problems')
  await expect(problems).toContainText('bad-tour.yaml:5:')
  await expect(problems).toContainText('hosts[1].lat')
  await expect(problems).toContainText('unknown host "tokyo"')
  await input.fill('e2e/fixtures/loopback.yaml')
  await input.press('Enter')
  await expect(problems).toHaveCount(0)
  await expect(page.getByTestId('host')).toHaveCount(4)
})
