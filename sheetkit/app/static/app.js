// Start GOV.UK Frontend's components (error summary focus, file drop zone, details...).
// A module script, so that the page needs no inline script and keeps its strict Content-Security-Policy.
import { initAll } from './govuk/govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()
