import { expect, test } from '@playwright/test'
import { E2E_TOKEN } from '../playwright.config'
import { expectFirstScreen, trackPageErrors } from './first-screen'

const WITH_TOKEN = `/#token=${E2E_TOKEN}`

test.describe('browser host', () => {
  test('without the token the page loads but reaches no engine, and no cookie is set', async ({ page, context, request }) => {
    const res = await request.get('/')
    expect(res.status()).toBe(200)
    expect(res.headers()['set-cookie']).toBeUndefined()
    await page.goto('/')
    await expect(page.getByTestId('error')).toContainText('no access token')
    await expect(page.locator('.app[data-app-state="loading"]')).toBeVisible()
    // A wrong token (a new tab: a fragment change is no new page load): the WebSocket is refused.
    const wrong = await context.newPage()
    await wrong.goto('/#token=wrong-token-wrong-token')
    await expect(wrong.getByTestId('error')).toContainText('refused', { timeout: 15_000 })
    await expect(wrong.locator('.app[data-app-state="loading"]')).toBeVisible()
  })

  test('shows the tour hosts on a live WebGL globe', async ({ page, context }) => {
    const errors = trackPageErrors(page)
    await page.goto(WITH_TOKEN)
    await expectFirstScreen(page)
    // The token left the address bar, and it is not a cookie (cookies reach every port of 127.0.0.1).
    expect(page.url()).not.toContain('token')
    expect(await context.cookies()).toEqual([])
    // Before Connect the screen says what to press: nothing has been sent to the tour's hosts.
    await expect(page.getByTestId('connect-hint')).toContainText('Connect')
    await page.screenshot({ path: 'test-results/globehop.png' })
    // A reload in the same tab still has the token (sessionStorage: this origin, this port only).
    await page.reload()
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
    expect(errors).toEqual([])
  })

  test('keyboard help opens and closes', async ({ page }) => {
    await page.goto(WITH_TOKEN)
    await expect(page.locator('[data-app-state="ready"]')).toBeVisible()
    await page.keyboard.press('?')
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible()
    await page.keyboard.press('?')
    await expect(page.getByRole('dialog')).toHaveCount(0)
  })
})

test('a malformed tour file shows file, line and field in the app, and a good one loads again', async ({ page }) => {
  await page.goto(WITH_TOKEN)
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
