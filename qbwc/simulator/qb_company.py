"""The default company and the Host/Company/Preferences answers (qbxml.md §16).

Seeded lists (created 30 days before `start_time`, so they never show up in a sync
window that starts at `start_time`):

* Account: Checking (Bank), Accounts Receivable (AccountsReceivable), Undeposited Funds,
  Inventory Asset (OtherCurrentAsset), Accounts Payable (AccountsPayable), Sales Tax
  Payable (OtherCurrentLiability), Opening Balance Equity (Equity), Sales, Sales Income,
  Shipping Income, Discounts Given (Income), Cost of Goods Sold (CostOfGoodsSold),
  Bank Service Charges (Expense).
* SalesTaxCode: Tax (taxable), Non (non-taxable).
* StandardTerms: Due on receipt, Net 15, Net 30.
* PaymentMethod: Cash, Check, Visa, MasterCard, American Express, Discover, Credit Card.
* Class: Retail. ShipMethod: UPS. CustomerMsg: Thank you for your business.
* Employee "Sam Seller" and SalesRep "SS" for him.
* Vendor "State Board of Equalization" (the sales tax agency) and ItemSalesTax
  "State Tax" (7.25 %) and "Out of State" (0 %), both paid to it.
* Template: one per form type (Intuit Product Invoice, Custom Sales Order, …).

Not seeded (references to them are accepted while the list is empty, see
`qb_kinds.LENIENT_WHEN_EMPTY`): inventory sites, customer/vendor/job types, price
levels, currencies, units of measure, billing rates, vehicles, workers' comp codes,
payroll items, item groups and assemblies. Customers, vendors, items and transactions
start empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from qbwc.simulator.qb_store import Element, Store, sub

SEED: tuple[tuple[str, dict[str, Any]], ...] = (
    ("Account", {"Name": "Checking", "AccountType": "Bank"}),
    ("Account", {"Name": "Accounts Receivable", "AccountType": "AccountsReceivable"}),
    ("Account", {"Name": "Undeposited Funds", "AccountType": "OtherCurrentAsset"}),
    ("Account", {"Name": "Inventory Asset", "AccountType": "OtherCurrentAsset"}),
    ("Account", {"Name": "Accounts Payable", "AccountType": "AccountsPayable"}),
    ("Account", {"Name": "Sales Tax Payable", "AccountType": "OtherCurrentLiability"}),
    ("Account", {"Name": "Opening Balance Equity", "AccountType": "Equity"}),
    ("Account", {"Name": "Sales", "AccountType": "Income"}),
    ("Account", {"Name": "Sales Income", "AccountType": "Income"}),
    ("Account", {"Name": "Shipping Income", "AccountType": "Income"}),
    ("Account", {"Name": "Discounts Given", "AccountType": "Income"}),
    ("Account", {"Name": "Cost of Goods Sold", "AccountType": "CostOfGoodsSold"}),
    ("Account", {"Name": "Bank Service Charges", "AccountType": "Expense"}),
    ("SalesTaxCode", {"Name": "Tax", "IsTaxable": True, "Desc": "Taxable Sales"}),
    ("SalesTaxCode", {"Name": "Non", "IsTaxable": False, "Desc": "Non-Taxable Sales"}),
    ("StandardTerms", {"Name": "Due on receipt", "StdDueDays": "0"}),
    ("StandardTerms", {"Name": "Net 15", "StdDueDays": "15"}),
    ("StandardTerms", {"Name": "Net 30", "StdDueDays": "30"}),
    ("PaymentMethod", {"Name": "Cash", "PaymentMethodType": "Cash"}),
    ("PaymentMethod", {"Name": "Check", "PaymentMethodType": "Check"}),
    ("PaymentMethod", {"Name": "Visa", "PaymentMethodType": "Visa"}),
    ("PaymentMethod", {"Name": "MasterCard", "PaymentMethodType": "MasterCard"}),
    ("PaymentMethod", {"Name": "American Express", "PaymentMethodType": "AmericanExpress"}),
    ("PaymentMethod", {"Name": "Discover", "PaymentMethodType": "Discover"}),
    ("PaymentMethod", {"Name": "Credit Card", "PaymentMethodType": "OtherCreditCard"}),
    ("Class", {"Name": "Retail"}),
    ("ShipMethod", {"Name": "UPS"}),
    ("CustomerMsg", {"Name": "Thank you for your business."}),
    ("Employee", {"Name": "Sam Seller", "FirstName": "Sam", "LastName": "Seller"}),
    ("SalesRep", {"Initial": "SS", "SalesRepEntityRef": "Sam Seller"}),
    ("Vendor", {"Name": "State Board of Equalization", "IsSalesTaxAgency": True}),
    (
        "ItemSalesTax",
        {
            "Name": "State Tax",
            "ItemDesc": "State sales tax",
            "TaxRate": "7.25",
            "TaxVendorRef": "State Board of Equalization",
        },
    ),
    (
        "ItemSalesTax",
        {
            "Name": "Out of State",
            "ItemDesc": "Out-of-state sale, exempt from sales tax",
            "TaxRate": "0.0",
            "TaxVendorRef": "State Board of Equalization",
        },
    ),
    ("Template", {"Name": "Intuit Product Invoice", "TemplateType": "Invoice"}),
    ("Template", {"Name": "Intuit Service Invoice", "TemplateType": "Invoice"}),
    ("Template", {"Name": "Custom Sales Order", "TemplateType": "SalesOrder"}),
    ("Template", {"Name": "Custom Sales Receipt", "TemplateType": "SalesReceipt"}),
    ("Template", {"Name": "Custom Credit Memo", "TemplateType": "CreditMemo"}),
    ("Template", {"Name": "Custom Purchase Order", "TemplateType": "PurchaseOrder"}),
    ("Template", {"Name": "Custom Estimate", "TemplateType": "Estimate"}),
)

SEED_AGE_SECONDS = 30 * 24 * 3600

# qbXML version -> (product, major version) of the first QuickBooks that reports it.
_PRODUCTS: dict[str, tuple[str, str]] = {
    "13.0": ("QuickBooks Enterprise Solutions: Wholesale Edition 18.0", "28"),
    "14.0": ("QuickBooks Enterprise Solutions: Wholesale Edition 21.0", "31"),
    "15.0": ("QuickBooks Enterprise Solutions: Wholesale Edition 22.0", "32"),
    "16.0": ("QuickBooks Enterprise Solutions: Wholesale Edition 23.0", "33"),
}
_ALL_VERSIONS: tuple[str, ...] = (
    "1.0",
    "1.1",
    "2.0",
    "2.1",
    "3.0",
    "4.0",
    "4.1",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "9.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
)


def version_key(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return (0, 0)


def build_fields(parent: Element, fields: Mapping[str, Any]) -> None:
    """Append children from keyword-style fields (refs by name, booleans, nested dicts/lists)."""
    for tag, value in fields.items():
        if isinstance(value, etree._Element):
            parent.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                build_fields(parent, {tag: item})
        elif isinstance(value, Mapping):
            build_fields(sub(parent, tag), value)
        elif isinstance(value, bool):
            sub(parent, tag, "true" if value else "false")
        elif tag.endswith("Ref"):
            sub(sub(parent, tag), "FullName", str(value))
        else:
            sub(parent, tag, str(value))


def host_ret(version: str) -> Element:
    product, major = _PRODUCTS.get(version, _PRODUCTS["16.0"])
    host = etree.Element("HostRet")
    sub(host, "ProductName", product)
    sub(host, "MajorVersion", major)
    sub(host, "MinorVersion", "0")
    sub(host, "Country", "US")
    for supported in _ALL_VERSIONS:
        if version_key(supported) <= version_key(version):
            sub(host, "SupportedQBXMLVersion", supported)
    sub(host, "IsAutomaticLogin", "false")
    sub(host, "QBFileMode", "SingleUser")
    return host


def company_ret(store: Store, company_name: str) -> Element:
    company = etree.Element("CompanyRet")
    sub(company, "IsSampleCompany", "false")
    sub(company, "CompanyName", company_name)
    sub(company, "LegalCompanyName", company_name)
    address = sub(company, "Address")
    for tag, text in (
        ("Addr1", "100 Sample Street"),
        ("City", "Middlefield"),
        ("State", "CA"),
        ("PostalCode", "94482"),
        ("Country", "US"),
    ):
        sub(address, tag, text)
    sub(company, "Phone", "650-555-0100")
    sub(company, "FirstMonthFiscalYear", "January")
    sub(company, "FirstMonthIncomeTaxYear", "January")
    sub(company, "CompanyType", "WholesaleDistributionandSales")
    sub(company, "TaxForm", "Form1120")
    for ext in store.company_ext:
        company.append(etree.fromstring(etree.tostring(ext)))
    return company


def _ref(parent: Element, tag: str, store: Store, namespace: str, name: str) -> None:
    record_id = store.by_name(namespace, name)
    if record_id is None:
        return
    ref = sub(parent, tag)
    sub(ref, "ListID", record_id)
    sub(ref, "FullName", store.name_of(record_id))


def preferences_ret(store: Store) -> Element:
    prefs = etree.Element("PreferencesRet")
    accounting = sub(prefs, "AccountingPreferences")
    for tag, text in (
        ("IsUsingAccountNumbers", "false"),
        ("IsRequiringAccounts", "true"),
        ("IsUsingClassTracking", "true"),
        ("IsUsingAuditTrail", "true"),
        ("IsAssigningJournalEntryNumbers", "true"),
    ):
        sub(accounting, tag, text)
    finance = sub(prefs, "FinanceChargePreferences")
    for tag, text in (
        ("AnnualInterestRate", "0.00"),
        ("MinFinanceCharge", "0.00"),
        ("GracePeriod", "0"),
        ("IsAssessingForOverdueCharges", "false"),
        ("CalculateChargesFrom", "DueDate"),
        ("IsMarkedToBePrinted", "false"),
    ):
        sub(finance, tag, text)
    jobs = sub(prefs, "JobsAndEstimatesPreferences")
    for tag in ("IsUsingEstimates", "IsUsingProgressInvoicing"):
        sub(jobs, tag, "true")
    sub(jobs, "IsPrintingItemsWithZeroAmounts", "false")
    multi_currency = sub(prefs, "MultiCurrencyPreferences")
    sub(multi_currency, "IsMultiCurrencyOn", "false")
    multi_location = sub(prefs, "MultiLocationInventoryPreferences")
    sub(multi_location, "IsMultiLocationInventoryAvailable", "false")
    sub(multi_location, "IsMultiLocationInventoryEnabled", "false")
    purchases = sub(prefs, "PurchasesAndVendorsPreferences")
    sub(purchases, "IsUsingInventory", "true")
    sub(purchases, "DaysBillsAreDue", "10")
    sub(purchases, "IsAutomaticallyUsingDiscounts", "false")
    reports = sub(prefs, "ReportsPreferences")
    sub(reports, "AgingReportBasis", "AgeFromDueDate")
    sub(reports, "SummaryReportBasis", "Accrual")
    sales = sub(prefs, "SalesAndCustomersPreferences")
    _ref(sales, "DefaultShipMethodRef", store, "ShipMethod", "UPS")
    sub(sales, "IsTrackingReimbursedExpensesAsIncome", "false")
    sub(sales, "IsAutoApplyingPayments", "true")
    price_levels = sub(sales, "PriceLevels")
    sub(price_levels, "IsUsingPriceLevels", "false")
    tax = sub(prefs, "SalesTaxPreferences")
    _ref(tax, "DefaultItemSalesTaxRef", store, "Item", "State Tax")
    sub(tax, "PaySalesTax", "Monthly")
    _ref(tax, "DefaultTaxableSalesTaxCodeRef", store, "SalesTaxCode", "Tax")
    _ref(tax, "DefaultNonTaxableSalesTaxCodeRef", store, "SalesTaxCode", "Non")
    time_tracking = sub(prefs, "TimeTrackingPreferences")
    sub(time_tracking, "FirstDayOfWeek", "Monday")
    rights = sub(prefs, "CurrentAppAccessRights")
    sub(rights, "IsAutomaticLoginAllowed", "true")
    sub(rights, "IsPersonalDataAccessAllowed", "true")
    return prefs
